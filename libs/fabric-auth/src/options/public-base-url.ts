import { Inject, Injectable, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FABRIC_RESOLVED_OPTIONS } from '../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from './fabric-auth.options.js';

/**
 * What a process that serves no HTTP (the CLI) puts in front of the links it prints: the app's
 * address by the `PORT` convention the demo follows (3000 when unset), as it cannot ask the app.
 */
export function notListeningBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const port = env.PORT !== undefined && /^\d{1,5}$/.test(env.PORT) && Number(env.PORT) <= 65_535 ? Number(env.PORT) : 3000;
  return `http://localhost:${port}`;
}

/**
 * The app's public base URL: `auth.public_base_url` when the operator set it, else
 * `http://localhost:<port>` of the server as it listens now (development), never the request's
 * Host header (a client chooses it) nor a port written in the code.
 */
@Injectable()
export class PublicBaseUrl {
  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  get(): string {
    if (this.options.publicBaseUrl) return this.options.publicBaseUrl.replace(/\/+$/, '');
    const server = this.adapterHost?.httpAdapter?.getHttpServer() as { address?: () => unknown } | undefined;
    const address = server?.address?.();
    if (address && typeof address === 'object' && 'port' in address) return `http://localhost:${(address as { port: number }).port}`;
    return notListeningBaseUrl();
  }
}
