// nestjs-fabric-auth/testing: credentials for a host app's own e2e tests, without bcrypt.
import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { PermissionRegistry } from '../access/permissions/permission-registry.js';
import type { Principal } from '../core/principal.js';
import { PrincipalService } from '../access/principal/principal.service.js';
import { RolesService } from '../access/accounts/roles.service.js';
import { SessionsService } from '../access/sessions/sessions.service.js';
import { TokenService } from '../access/tokens/token.service.js';
import type { UserEntity } from '../schema/entities/user.entity.js';
import { UsersService } from '../access/accounts/users.service.js';

/** @publicApi */
export interface TestCredentialSpec {
  /** Permissions the credential holds, through a role made for it (they must be registered). */
  permissions?: readonly string[];
  /** Existing roles the user holds as well. */
  roles?: readonly string[];
  /** Default: a fresh `test-user-<random>`. */
  username?: string;
  email?: string;
}

/** @publicApi */
export interface TestCredential {
  user: UserEntity;
  /** A real access token of a real session: FabricGuard, `@RequirePermission()` and revocation treat it as any other. */
  accessToken: string;
  /** `{ authorization: 'Bearer …' }`, for supertest's `.set(credential.headers)` or fetch. */
  headers: { authorization: string };
  /** What `@CurrentPrincipal()` gives a route called with this token. */
  principal: Principal;
  /** The role made for `permissions`, if any. */
  role: string | null;
}

function unique(): string {
  return randomBytes(5).toString('hex');
}

/**
 * A user holding exactly the given permissions (and roles), with a session and its access
 * token, in one call. The user has no password, so no bcrypt hash is computed: this costs a few
 * inserts. `app` is the Nest application (or testing module) that imports FabricAuthModule.
 *
 *   const reader = await createTestCredential(app, { permissions: ['reports:read'] });
 *   await request(app.getHttpServer()).get('/reports').set(reader.headers).expect(200);
 *
 * @publicApi
 */
export async function createTestCredential(app: INestApplicationContext, spec: TestCredentialSpec = {}): Promise<TestCredential> {
  const get = <T>(type: abstract new (...args: never[]) => T): T => app.get<T>(type, { strict: false });
  const permissions = [...new Set(spec.permissions ?? [])];
  const unknown = get(PermissionRegistry).unknown(permissions);
  if (unknown.length > 0) {
    throw new Error(`createTestCredential: ${unknown.join(', ')} is not a registered permission (declare it in FabricAuthModule's \`permissions\`)`);
  }
  let role: string | null = null;
  if (permissions.length > 0) {
    role = `test-${unique()}`;
    await get(RolesService).create({ name: role, description: 'made by createTestCredential', permissions });
  }
  const username = spec.username ?? `test-user-${unique()}`;
  const user = await get(UsersService).create({
    username,
    email: spec.email ?? null,
    roles: [...(spec.roles ?? []), ...(role ? [role] : [])],
  });
  const { session } = await get(SessionsService).create(user.id, 'test');
  const tokens = get(TokenService);
  const accessToken = tokens.issueAccessToken(user.id, session.id).token;
  const principal = await get(PrincipalService).forAccessClaims(await tokens.verifyAccessToken(accessToken), 'jwt');
  return { user, accessToken, headers: { authorization: `Bearer ${accessToken}` }, principal, role };
}

/**
 * A principal as `@CurrentPrincipal()` would give it, for unit tests of code that takes one
 * (no application, no database). Defaults: a user, no roles, no permissions.
 *
 * @publicApi
 */
export function testPrincipal(overrides: Partial<Omit<Principal, 'permissions'>> & { permissions?: Iterable<string> } = {}): Principal {
  const { permissions, ...rest } = overrides;
  return {
    kind: 'user',
    id: '00000000-0000-4000-8000-000000000000',
    username: 'test-user',
    email: null,
    roles: [],
    isSystemAdmin: false,
    sessionId: null,
    apiKeyId: null,
    scopes: null,
    authMethod: 'jwt',
    ...rest,
    permissions: new Set(permissions ?? []),
  };
}
