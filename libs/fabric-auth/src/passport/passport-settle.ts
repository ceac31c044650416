import { issuedByStrategy } from '../access/principal/current-principal.decorator.js';
import type { Principal } from '../core/principal.js';
import { FabricAuthError } from '../core/fabric-auth.error.js';
import { fabricError } from '../core/fabric-error.js';

interface PassportOutcomes {
  success(user: unknown): void;
  fail(challenge: unknown, status: number): void;
  error(error: Error): void;
}

/**
 * Ends a Passport `authenticate` call with what FabricGuard would have answered: a refused
 * credential fails (401), a CSRF failure is a 403, anything else is an error. The principal is
 * marked as ours so `@CurrentPrincipal()` takes it from `request.user`.
 */
export function settlePassport(strategy: PassportOutcomes, resolve: () => Principal | Promise<Principal>): void {
  Promise.resolve()
    .then(resolve)
    .then(
      (principal) => strategy.success(issuedByStrategy(principal)),
      (error: unknown) => {
        if (!(error instanceof FabricAuthError)) return strategy.error(error as Error);
        if (error.failure === 'csrf') return strategy.error(fabricError('csrf_token_invalid', 'Missing or invalid CSRF token'));
        strategy.fail('Bearer error="invalid_token"', 401);
      },
    );
}
