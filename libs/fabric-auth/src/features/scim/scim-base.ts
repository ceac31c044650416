import { Inject, Injectable } from '@nestjs/common';
import { PublicBaseUrl } from '../../options/public-base-url.js';

/** The route prefix the feature was mounted under (`api/v1`), for the resources' `meta.location`. */
export const SCIM_ROUTE_PREFIX = Symbol('SCIM_ROUTE_PREFIX');

/** `<public_base_url>/<prefix>/scim/v2`: the tenant URL an identity provider is given, and the root of every `meta.location`. */
@Injectable()
export class ScimBase {
  constructor(
    private readonly publicBaseUrl: PublicBaseUrl,
    @Inject(SCIM_ROUTE_PREFIX) private readonly prefix: string,
  ) {}

  url(): string {
    const prefix = this.prefix.replace(/^\/+|\/+$/g, '');
    return `${this.publicBaseUrl.get()}${prefix ? `/${prefix}` : ''}/scim/v2`;
  }
}
