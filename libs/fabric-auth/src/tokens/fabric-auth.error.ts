/** Why a credential was refused: logged, never sent to the client (which gets one generic 401). */
export type FabricAuthFailure =
  | 'missing'
  | 'malformed'
  | 'bad_token'
  | 'expired'
  | 'wrong_type'
  | 'revoked'
  | 'inactive'
  | 'csrf';

export class FabricAuthError extends Error {
  constructor(
    readonly failure: FabricAuthFailure,
    detail?: string,
  ) {
    super(detail ? `${failure}: ${detail}` : failure);
    this.name = 'FabricAuthError';
  }
}
