import { FabricError, type FabricErrorCode } from '../../core/fabric-error.js';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_CONTENT_TYPE = 'application/scim+json';

/** RFC 7644 §3.12's `scimType`s this server answers with. */
export type ScimType = 'uniqueness' | 'invalidFilter' | 'invalidValue' | 'invalidSyntax' | 'invalidPath' | 'mutability' | 'noTarget' | 'tooMany';

/** The SCIM Error body (RFC 7644 §3.12): `status` is a string there. */
export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

/** A refusal of the SCIM routes with its `scimType`; their filter answers it in the SCIM error schema. */
export class ScimError extends FabricError {
  constructor(
    code: FabricErrorCode,
    detail: string,
    readonly scimType?: ScimType,
  ) {
    super(code, detail);
  }
}

export const invalidValue = (detail: string) => new ScimError('invalid_request', detail, 'invalidValue');
export const invalidFilter = (detail: string) => new ScimError('invalid_request', detail, 'invalidFilter');
export const notFound = (what: string) => new ScimError('scim_resource_not_found', `${what} not found`);
