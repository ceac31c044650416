import { FabricError } from './fabric-error.js';

/**
 * Why a credential was refused: logged, never sent to the client (which gets one generic 401).
 *
 * @publicApi
 */
export type FabricAuthFailure = 'missing' | 'malformed' | 'bad_token' | 'expired' | 'wrong_type' | 'revoked' | 'inactive' | 'csrf' | 'throttled';

/**
 * A credential refused inside the authenticator (code `credential_refused`): the guard answers it with one generic 401, 403 or 429.
 *
 * @publicApi
 */
export class FabricAuthError extends FabricError {
  constructor(
    readonly failure: FabricAuthFailure,
    detail?: string,
    /** For `throttled`: seconds until the client may try again. */
    readonly retryAfterSeconds = 0,
  ) {
    super('credential_refused', detail ? `${failure}: ${detail}` : failure, { detail });
  }
}
