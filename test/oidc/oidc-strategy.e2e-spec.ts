import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FABRIC_OIDC_STRATEGY } from '../../libs/fabric-auth/src/core/fabric-auth.constants.js';
import { FabricAuthModule, type OidcLoginResult } from 'nestjs-fabric-auth';
import { fabricAuthMigrations } from 'nestjs-fabric-auth/migrations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/demo-process.js';
import { FetchBrowser } from '../support/oidc/fetch-browser.js';
import { CLIENT_SECRET } from '../support/oidc/fixtures.js';
import { startTestOp, type TestOp } from '../support/oidc/test-op.js';
import { ADAPTERS, API, scratchDatabase, type ScratchDatabase, TEST_OPTIONS } from '../support/test-app.js';

/** A host app's own SSO routes, composed with AuthGuard('fabric-oidc') instead of the library's controller. */
@Controller('sso')
class HostSsoController {
  @Get('login')
  @UseGuards(AuthGuard(FABRIC_OIDC_STRATEGY))
  login(): void {}

  @Get('callback')
  @UseGuards(AuthGuard(FABRIC_OIDC_STRATEGY))
  callback(@Req() request: { user: OidcLoginResult }): { username: string; provider: string; return_to: string } {
    return { username: request.user.user.username, provider: request.user.provider, return_to: request.user.returnTo };
  }
}

describe.each(ADAPTERS)('the fabric-oidc Passport strategy in a host app on %s', (adapter) => {
  let op: TestOp;
  let db: ScratchDatabase;
  let close: () => Promise<void>;
  let appUrl: string;
  beforeAll(async () => {
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    op = await startTestOp(() => [{ client_id: 'host-app', client_secret: CLIENT_SECRET, redirect_uris: [`${appUrl}/sso/callback`] }]);
    op.accounts.set('sub-host', { preferred_username: 'host.user', email: 'host.user@example.test', email_verified: true });
    db = await scratchDatabase('sqlite');
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: (db.choice as { database: string }).database,
          autoLoadEntities: true,
          migrations: fabricAuthMigrations('better-sqlite3'),
          migrationsRun: true,
        }),
        FabricAuthModule.forRoot({
          ...TEST_OPTIONS,
          providers: { oidc: { issuer: op.issuer, clientId: 'host-app', clientSecret: CLIENT_SECRET, redirectUri: `${appUrl}/sso/callback`, jitProvisioning: true } },
          controllers: { oidc: false },
        }),
      ],
      controllers: [HostSsoController],
    }).compile();
    const app = adapter === 'fastify' ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false }) : moduleRef.createNestApplication({ logger: false });
    await app.listen(port, '127.0.0.1');
    close = () => app.close();
  });
  afterAll(async () => {
    await close?.();
    await op?.close();
    await db?.drop();
  });

  it('redirects to the provider, then completes the login with the session cookies set', async () => {
    const browser = new FetchBrowser();
    expect((await browser.request(`${appUrl}${API}/auth/oidc/login`)).status).toBe(404);
    const toProvider = await browser.follow(`${appUrl}/sso/login?return_to=/home`, (next) => !next.pathname.startsWith('/interaction/'));
    expect(toProvider[0].status).toBe(302);
    expect(toProvider[0].location).toMatch(new RegExp(`^${op.issuer}/auth\\?`));
    // One state cookie per login attempt, named after its state.
    const stateCookie = toProvider[0].setCookie.map((line) => line.split('=')[0]);
    expect(stateCookie).toHaveLength(1);
    expect(stateCookie[0]).toMatch(/^fabric_oidc_state_[\w-]{16}$/);
    const interaction = toProvider.at(-1)!.location!;
    const submitted = await browser.request(interaction, {
      method: 'POST',
      body: 'login=sub-host',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const back = await browser.follow(submitted.location!, (next) => next.origin !== appUrl);
    const callback = await browser.request(back.at(-1)!.location!);
    expect(callback.status, callback.body).toBe(200);
    expect(callback.setCookie.map((line) => line.split('=')[0]).sort()).toEqual(['access_token', 'csrf_token', stateCookie[0], 'refresh_token'].sort());
    expect(JSON.parse(callback.body)).toEqual({ username: 'host.user', provider: 'oidc', return_to: '/home' });
    expect(browser.cookie('127.0.0.1', 'access_token')).toBeTruthy();
    expect(browser.cookie('127.0.0.1', 'csrf_token')).toBeTruthy();
  });

  it('turns a refused callback into the same JSON error', async () => {
    const callback = await new FetchBrowser().request(`${appUrl}/sso/callback?code=abc&state=def`);
    expect(callback.status).toBe(400);
    expect(JSON.parse(callback.body)).toEqual({ statusCode: 400, message: 'No login in progress in this browser; start the login again', error: 'Bad Request' });
  });
});
