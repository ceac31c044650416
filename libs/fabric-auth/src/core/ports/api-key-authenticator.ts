import type { HttpRequestLike } from '../request-info.js';
import type { Principal } from '../principal.js';

/**
 * The API-key slot of FabricGuard (`X-API-Key`), provided under
 * `FABRIC_API_KEY_AUTHENTICATOR` (default: the built-in `fabric-api-key` strategy).
 * Throw `FabricAuthError` for a refused key.
 */
export interface FabricApiKeyAuthenticator {
  authenticate(rawKey: string, request: HttpRequestLike): Principal | Promise<Principal>;
}
