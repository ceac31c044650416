/**
 * Why a credential was refused: logged, never sent to the client (which gets one generic 401).
 *
 * @publicApi
 */
export type FabricAuthFailure = 'missing' | 'malformed' | 'bad_token' | 'expired' | 'wrong_type' | 'revoked' | 'inactive' | 'csrf' | 'throttled';

/** @publicApi */
export class FabricAuthError extends Error {
  constructor(
    readonly failure: FabricAuthFailure,
    detail?: string,
    /** For `throttled`: seconds until the client may try again. */
    readonly retryAfterSeconds = 0,
  ) {
    super(detail ? `${failure}: ${detail}` : failure);
    this.name = 'FabricAuthError';
  }
}
