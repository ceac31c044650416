import { Controller, Get, Post, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { CurrentPrincipal, type Principal, RequirePermission } from 'nestjs-fabric-auth';
import { FABRIC_API_KEY_STRATEGY, FABRIC_COOKIE_STRATEGY, FABRIC_JWT_STRATEGY } from '../../libs/fabric-auth/src/core/fabric-auth.constants.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

function described(principal: Principal | undefined) {
  return principal && { username: principal.username, auth_method: principal.authMethod, permissions: [...principal.permissions].sort() };
}

/** A host app guarding its routes with @nestjs/passport's AuthGuard and the library's strategies, no FabricGuard in sight. */
@Controller('api/v1/host')
class HostController {
  @Get('jwt')
  @RequirePermission('reports:read')
  @UseGuards(AuthGuard(FABRIC_JWT_STRATEGY))
  jwt(@CurrentPrincipal() principal: Principal) {
    return described(principal);
  }

  @Get('api-key')
  @RequirePermission('reports:read')
  @UseGuards(AuthGuard(FABRIC_API_KEY_STRATEGY))
  apiKey(@CurrentPrincipal() principal: Principal) {
    return described(principal);
  }

  @Post('cookie')
  @RequirePermission('reports:read')
  @UseGuards(AuthGuard(FABRIC_COOKIE_STRATEGY))
  cookie(@CurrentPrincipal() principal: Principal) {
    return described(principal);
  }

  @Get('me')
  @UseGuards(AuthGuard(FABRIC_JWT_STRATEGY))
  me(@CurrentPrincipal() principal: Principal) {
    return described(principal);
  }

  /** No guard named: @RequirePermission alone still authenticates. */
  @Get('bare')
  @RequirePermission('reports:read')
  bare(@CurrentPrincipal() principal: Principal) {
    return described(principal);
  }
}

/** The guard listed first on the method, so it runs after FabricGuard: still the same check. */
@Controller('api/v1/host-reversed')
@UseGuards(AuthGuard(FABRIC_JWT_STRATEGY))
class ReversedHostController {
  @UseGuards(AuthGuard(FABRIC_JWT_STRATEGY))
  @RequirePermission('users:list')
  @Get()
  list(@CurrentPrincipal() principal: Principal) {
    return described(principal);
  }
}

@Controller('api/v1/typo')
class TypoController {
  @Get()
  @RequirePermission('reports:raed')
  list() {
    return [];
  }
}

describe.each(DATABASES)('AuthGuard(fabric-*) composed with @RequirePermission and @CurrentPrincipal on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind, { controllers: [HostController, ReversedHostController] });
  });
  afterAll(() => t?.close());

  async function keyFor(username: string) {
    const res = await t.http
      .post(`${API}/users/${username}/api-keys`)
      .auth(await t.adminToken(), { type: 'bearer' })
      .send({ name: 'host' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.key as string;
  }

  it('AuthGuard(fabric-jwt): the principal FabricGuard would give, and the permission enforced', async () => {
    const viewer = await t.actor(['viewer']);
    const ok = await t.http.get(`${API}/host/jwt`).auth(viewer.token, { type: 'bearer' });
    expect(ok.status).toBe(200);
    const me = await t.http.get(`${API}/auth/me`).auth(viewer.token, { type: 'bearer' });
    expect(ok.body).toEqual({ username: viewer.user.username, auth_method: 'jwt', permissions: [...me.body.permissions].sort() });
    const auditor = await t.actor(['auditor']);
    const refused = await t.http.get(`${API}/host/jwt`).auth(auditor.token, { type: 'bearer' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ statusCode: 403, message: 'Missing permission: reports:read' });
    expect((await t.http.get(`${API}/host/jwt`)).status).toBe(401);
    expect((await t.http.get(`${API}/host/jwt`).auth('not-a-token', { type: 'bearer' })).status).toBe(401);
  });

  it('AuthGuard(fabric-jwt) without @RequirePermission still feeds @CurrentPrincipal', async () => {
    const auditor = await t.actor(['auditor']);
    const res = await t.http.get(`${API}/host/me`).auth(auditor.token, { type: 'bearer' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ username: auditor.user.username, auth_method: 'jwt', permissions: ['audit:read'] });
  });

  it('AuthGuard(fabric-api-key): the key principal, bounded by the owner', async () => {
    const viewer = await t.actor(['viewer']);
    const res = await t.http.get(`${API}/host/api-key`).set('x-api-key', await keyFor(viewer.user.username));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ username: viewer.user.username, auth_method: 'api_key' });
    expect(res.body.permissions).toContain('reports:read');
    const auditor = await t.actor(['auditor']);
    expect((await t.http.get(`${API}/host/api-key`).set('x-api-key', await keyFor(auditor.user.username))).status).toBe(403);
  });

  it('AuthGuard(fabric-cookie): CSRF on unsafe methods, then the permission', async () => {
    const viewer = await t.actor(['viewer']);
    const login = await t.http
      .post(`${API}/auth/token`)
      .type('form')
      .send({ grant_type: 'password', username: viewer.user.username, password: viewer.password, set_cookies: 'true' });
    const cookies = (login.headers['set-cookie'] as unknown as string[]).map((line) => line.split(';')[0]);
    const csrf = cookies.find((c) => c.startsWith('csrf_token='))!.slice('csrf_token='.length);
    const header = cookies.join('; ');
    expect((await t.http.post(`${API}/host/cookie`).set('cookie', header)).status).toBe(403);
    const ok = await t.http.post(`${API}/host/cookie`).set('cookie', header).set('x-csrf-token', csrf);
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ username: viewer.user.username, auth_method: 'cookie' });
  });

  it('@RequirePermission without any guard authenticates and checks', async () => {
    expect((await t.http.get(`${API}/host/bare`)).status).toBe(401);
    const auditor = await t.actor(['auditor']);
    expect((await t.http.get(`${API}/host/bare`).auth(auditor.token, { type: 'bearer' })).status).toBe(403);
    const viewer = await t.actor(['viewer']);
    const ok = await t.http.get(`${API}/host/bare`).auth(viewer.token, { type: 'bearer' });
    expect(ok.status).toBe(200);
    expect(ok.body.username).toBe(viewer.user.username);
  });

  it('guards in either order enforce the same permission', async () => {
    expect((await t.http.get(`${API}/host-reversed`).auth((await t.actor(['auditor'])).token, { type: 'bearer' })).status).toBe(403);
    const viewer = await t.actor(['viewer']);
    const ok = await t.http.get(`${API}/host-reversed`).auth(viewer.token, { type: 'bearer' });
    expect(ok.status).toBe(200);
    expect(ok.body.username).toBe(viewer.user.username);
  });

  it('a logged-out session is refused on the Passport path too', async () => {
    const viewer = await t.actor(['viewer']);
    expect((await t.http.post(`${API}/auth/logout`).auth(viewer.token, { type: 'bearer' })).status).toBe(204);
    expect((await t.http.get(`${API}/host/jwt`).auth(viewer.token, { type: 'bearer' })).status).toBe(401);
  });
});

describe('a route naming an undeclared permission', () => {
  it('stops startup, naming the route and the permission', async () => {
    await expect(startTestApp('sqlite', { controllers: [TypoController] })).rejects.toThrow(
      'TypoController.list: @RequirePermission("reports:raed") names a permission that is not registered (register it in code with appPermissions of FabricAuthModule.forRoot/forRootAsync, or in auth.permissions)',
    );
  });
});
