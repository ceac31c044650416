import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MAIN, runDemoExpectingFailure, startDemo } from '../support/demo-process.js';
import { createScratchDatabase } from '../support/postgres.js';

const SECRET = 'demo-test-secret-0c8e4f2a9b7d1e3f5a6c';

async function login(url: string, username: string, password: string) {
  return fetch(`${url}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password }),
  });
}

describe('the demo app as `npm start` runs it', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(DEMO_MAIN)) throw new Error(`${DEMO_MAIN} is missing: run the tests with \`npm test\`, which builds first`);
    dir = mkdtempSync(join(tmpdir(), 'fabric-demo-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('on a fresh machine generates a dev secret and prints the admin password once', async () => {
    const dataDir = join(dir, 'fresh');
    const env = { DATA_DIR: dataDir, CONFIG_FILE: 'apps/demo/config.yaml' };
    const first = await startDemo(env);
    let password: string;
    let accessToken: string;
    try {
      expect(first.output()).toContain('DEVELOPMENT SETUP');
      const match = /created with the generated password: (\S+)/.exec(first.output());
      expect(match).not.toBeNull();
      password = match![1]!;
      expect(statSync(join(dataDir, 'dev-secret-key')).mode & 0o777).toBe(0o600);
      expect(existsSync(join(dataDir, 'fabric-auth.sqlite'))).toBe(true);
      const res = await login(first.url, 'admin', password);
      expect(res.status).toBe(200);
      accessToken = ((await res.json()) as { access_token: string }).access_token;
      const docs = await fetch(`${first.url}/docs/`);
      expect(docs.status).toBe(200);
      // The demo's config turns the admin console on (test/console tests it in a browser).
      const adminConsole = await fetch(`${first.url}/admin`);
      expect(adminConsole.status).toBe(200);
      expect(adminConsole.headers.get('content-security-policy')).toContain("script-src 'self'");
    } finally {
      await first.stop();
    }
    const second = await startDemo(env);
    try {
      expect(second.output()).not.toContain('created with the generated password');
      expect((await login(second.url, 'admin', password)).status).toBe(200);
      const me = await fetch(`${second.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${accessToken}` } });
      expect(me.status).toBe(200);
    } finally {
      await second.stop();
    }
    // Two cold starts of the demo: generous, the box may be busy.
  }, 120_000);

  it('honours PORT, DATABASE_URL (PostgreSQL) and FABRIC_ overrides', async () => {
    const db = await createScratchDatabase();
    const demo = await startDemo({
      DATA_DIR: join(dir, 'pg'),
      DATABASE_URL: db.url,
      FABRIC_AUTH__SECRET_KEY: SECRET,
      FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: 'Pg-admin-passw0rd',
      FABRIC_AUTH__ACCESS_TOKEN_EXPIRE: '120',
    });
    try {
      expect(demo.output()).toContain('PostgreSQL');
      expect(demo.output()).not.toContain('DEVELOPMENT SETUP');
      const res = await login(demo.url, 'admin', 'Pg-admin-passw0rd');
      expect(res.status).toBe(200);
      expect(((await res.json()) as { expires_in: number }).expires_in).toBe(120);
    } finally {
      await demo.stop();
      await db.drop();
    }
  });

  it('serves the same app on Fastify with HTTP_ADAPTER=fastify: hardening, login, Swagger UI', async () => {
    const demo = await startDemo({
      DATA_DIR: join(dir, 'fastify'),
      HTTP_ADAPTER: 'fastify',
      FABRIC_AUTH__SECRET_KEY: SECRET,
      FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: 'Fastify-admin-passw0rd',
    });
    try {
      expect(demo.output()).toContain('fastify');
      const res = await login(demo.url, 'admin', 'Fastify-admin-passw0rd');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      const big = await fetch(`${demo.url}/api/v1/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'password', username: 'x'.repeat(70_000), password: 'x' }),
      });
      expect(big.status).toBe(413);
      expect((await fetch(`${demo.url}/docs/`)).status).toBe(200);
      const adminConsole = await fetch(`${demo.url}/admin/users`);
      expect(adminConsole.status).toBe(200);
      expect(adminConsole.headers.get('x-frame-options')).toBe('DENY');
    } finally {
      await demo.stop();
    }
  }, 90_000);

  it('refuses an unknown HTTP_ADAPTER', async () => {
    const { code, output } = await runDemoExpectingFailure({ DATA_DIR: join(dir, 'refused'), HTTP_ADAPTER: 'koa' });
    expect(code).not.toBe(0);
    expect(output).toContain('HTTP_ADAPTER: "koa" is not express or fastify');
  }, 90_000);

  it.each([
    ['a short secret', { FABRIC_AUTH__SECRET_KEY: 'short' }, 'auth.secret_key: must be at least 32 characters'],
    ['a common admin password', { FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: 'changeme' }, 'auth.system_admin_password: is a commonly used password'],
    ['a bad type', { FABRIC_AUTH__ACCESS_TOKEN_EXPIRE: 'soon' }, 'auth.access_token_expire (from FABRIC_AUTH__ACCESS_TOKEN_EXPIRE): must be an integer'],
    ['an unknown key', { FABRIC_AUTH__SECRETKEY: SECRET }, 'FABRIC_AUTH__SECRETKEY: does not name a known config key'],
  ])('refuses to start with %s, naming the key', async (_, env, message) => {
    const { code, output } = await runDemoExpectingFailure({ DATA_DIR: join(dir, 'refused'), ...env });
    expect(code).not.toBe(0);
    expect(output).toContain(message);
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('refuses a config file with unknown keys', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, `auth:\n  secret_key: "${SECRET}"\n  system_admin_password: "Adm1n-passw0rd"\n  acess_token_expire: 10\n`);
    const { code, output } = await runDemoExpectingFailure({ DATA_DIR: join(dir, 'refused'), CONFIG_FILE: file });
    expect(code).not.toBe(0);
    expect(output).toContain('auth.acess_token_expire: unknown key');
  });
});
