import type { Principal } from './principal.js';

/**
 * The caller to pass when app code (a job, a seeder, the admin CLI) calls the library's
 * services outside any HTTP request: it holds every permission, as the system admin does, and
 * the audit log records it as `actor_kind = system`, `actor_name = <name>`.
 *
 *   await users.create(systemActor('nightly-import'), { username: 'alice', email: 'alice@example.com' });
 *
 * Never derive it from request input: it bypasses every permission check.
 *
 * @publicApi
 */
export function systemActor(name = 'app'): Principal {
  return {
    kind: 'system',
    id: `system:${name}`.slice(0, 64),
    username: name,
    email: null,
    roles: [],
    permissions: new Set(),
    isSystemAdmin: true,
    sessionId: null,
    apiKeyId: null,
    scopes: null,
    authMethod: 'system',
  };
}
