import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { callDemo, DEMO_MAIN, freePort, loginToDemo, runDemoExpectingFailure, startDemo } from '../support/demo-process.js';
import { createScratchDatabase, postgresUrlFor } from '../support/postgres.js';
import { scratchDirectories } from '../support/scratch-dirs.js';
import { decodePayload } from '../support/jwt-forge.js';
import { SoftwareAuthenticator } from '../support/software-authenticator.js';

// What a new user does in their first hour, as processes started from a clean directory.
const SECRET = 'first-hour-secret-5d1c9a7e3b2f4a6c8e0d';
const ADMIN_PASSWORD = 'First-hour-adm1n';
const NO_STACK = /\n\s+at |problems:/;

describe('the demo started from a clean directory', () => {
  beforeAll(() => {
    if (!existsSync(DEMO_MAIN)) throw new Error(`${DEMO_MAIN} is missing: run \`npm run build\` first`);
  });
  const cleanDir = scratchDirectories('fabric-first-hour-');

  it.each([
    ['another database scheme', 'mysql://fabric:secret@127.0.0.1:3306/fabric', 'the scheme "mysql:" is not supported'],
    ['a PostgreSQL URL missing a slash', 'postgres:/127.0.0.1/fabric', '"postgres:/127.0.0.1/fabric" is not a valid PostgreSQL URL'],
    ['a PostgreSQL URL without a host', 'postgresql:///fabric', 'is not a valid PostgreSQL URL'],
    ['sqlite: without a file', 'sqlite:', '"sqlite:" names no file'],
  ])('refuses DATABASE_URL with %s in one line naming the supported forms, leaving nothing behind', async (_, url, reason) => {
    const cwd = cleanDir();
    const { code, output } = await runDemoExpectingFailure({ DATABASE_URL: url }, { cwd });
    expect(code).toBe(1);
    const line = output.split('\n').find((l) => l.includes('DATABASE_URL:'));
    expect(line).toContain(reason);
    expect(line).toContain('use `postgres://user:password@host:5432/name`, `sqlite:path/to/file.sqlite` or a plain file path');
    expect(output).not.toMatch(NO_STACK);
    expect(output).not.toContain('secret@');
    // No SQLite file named after the URL, no data directory, no seeded admin.
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('stores SQLite where DATABASE_URL=sqlite:path says, relative to the directory it runs in', async () => {
    const cwd = cleanDir();
    const demo = await startDemo({ DATABASE_URL: 'sqlite:db/auth.sqlite', FABRIC_AUTH__SECRET_KEY: SECRET, FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: ADMIN_PASSWORD }, { cwd });
    try {
      expect(existsSync(join(cwd, 'db', 'auth.sqlite'))).toBe(true);
      await loginToDemo(demo, 'admin', ADMIN_PASSWORD);
    } finally {
      await demo.stop();
    }
  });

  it('says once that PostgreSQL is down, with the retry policy, then stops', async () => {
    const cwd = cleanDir();
    const url = `postgres://postgres@127.0.0.1:${await freePort()}/fabric`;
    const { code, output } = await runDemoExpectingFailure({ DATABASE_URL: url, DATABASE_CONNECT_ATTEMPTS: '2', FABRIC_AUTH__SECRET_KEY: SECRET }, { cwd });
    expect(code).toBe(1);
    const mentions = output.split('\n').filter((l) => l.includes('is unreachable'));
    expect(mentions).toHaveLength(2);
    expect(mentions[0]).toMatch(/Retrying quietly \(2 attempts, one every 3 s\), then startup stops/);
    expect(mentions[1]).toMatch(/Gave up after 2 attempts, one every 3 s/);
    expect(output).not.toContain('Unable to connect to the database');
    expect(output).not.toMatch(NO_STACK);
  });

  it('says at once that the PostgreSQL database does not exist', async () => {
    const cwd = cleanDir();
    const url = postgresUrlFor(`fabric_missing_${process.pid}`);
    const { code, output } = await runDemoExpectingFailure({ DATABASE_URL: url, FABRIC_AUTH__SECRET_KEY: SECRET }, { cwd });
    expect(code).toBe(1);
    expect(output).toMatch(/Cannot open the database \(PostgreSQL 127\.0\.0\.1:5432\/fabric_missing_\d+\): database "fabric_missing_\d+" does not exist — create the database/);
    expect(output).not.toContain('is unreachable');
    expect(output).not.toMatch(NO_STACK);
  });

  it('describes itself at the port it listens on, and starts with an issuer URL as the README recommends', async () => {
    const cwd = cleanDir();
    const demo = await startDemo({ DATABASE_URL: 'sqlite:auth.sqlite', FABRIC_AUTH__SECRET_KEY: SECRET, FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: ADMIN_PASSWORD }, { cwd });
    try {
      const base = `http://localhost:${new URL(demo.url).port}`;
      const metadata = (await (await fetch(`${demo.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(metadata).toMatchObject({ jwks_uri: `${base}/.well-known/jwks.json`, token_endpoint: `${base}/api/v1/auth/token` });
    } finally {
      await demo.stop();
    }
    const withIssuer = await startDemo(
      { DATABASE_URL: 'sqlite:auth.sqlite', FABRIC_AUTH__SECRET_KEY: SECRET, FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: ADMIN_PASSWORD, FABRIC_AUTH__ISSUER: 'https://auth.example.com' },
      { cwd },
    );
    try {
      const admin = await loginToDemo(withIssuer, 'admin', ADMIN_PASSWORD);
      expect(JSON.parse(Buffer.from(admin.access_token.split('.')[1], 'base64url').toString('utf8')).iss).toBe('https://auth.example.com');
      const enrol = await callDemo(withIssuer, 'POST', '/users/admin/mfa/totp', admin.access_token, {});
      expect(enrol.status).toBe(201);
      expect((enrol.body as { otpauth_uri: string }).otpauth_uri).toMatch(/^otpauth:\/\/totp\/auth\.example\.com:admin\?/);
    } finally {
      await withIssuer.stop();
    }
  }, 90_000);

  it('refuses asymmetric signing without a URL issuer, naming the fix', async () => {
    const { code, output } = await runDemoExpectingFailure(
      { DATABASE_URL: 'sqlite:auth.sqlite', FABRIC_AUTH__SECRET_KEY: SECRET, FABRIC_AUTH__SIGNING__ALGORITHM: 'EdDSA' },
      { cwd: cleanDir() },
    );
    expect(code).toBe(1);
    expect(output).toContain('auth.issuer: "nestjs-fabric-auth" is not a URL, which EdDSA signing needs');
    expect(output).toContain('set auth.issuer (https://auth.example.com) or auth.public_base_url');
    expect(output).not.toMatch(NO_STACK);
  });

  it.each(['sqlite', 'postgres'] as const)(
    'registers and signs in with a passkey on the port it listens on, with no auth.webauthn or public_base_url (%s)',
    async (kind) => {
      const db = kind === 'postgres' ? await createScratchDatabase() : undefined;
      const demo = await startDemo(
        { DATABASE_URL: db?.url ?? 'sqlite:auth.sqlite', FABRIC_AUTH__SECRET_KEY: SECRET, FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: ADMIN_PASSWORD },
        { cwd: cleanDir() },
      );
      try {
        const origin = `http://localhost:${new URL(demo.url).port}`;
        expect(origin).not.toBe('http://localhost:3000');
        const admin = await loginToDemo(demo, 'admin', ADMIN_PASSWORD);
        const options = async () => {
          const res = await callDemo(demo, 'POST', '/users/admin/mfa/passkeys/options', admin.access_token);
          expect(res.status).toBe(200);
          return res.body as { challenge: string; user: { id: string }; rp: { id: string; name: string } };
        };
        const authenticator = new SoftwareAuthenticator(origin);
        // What the old constant default expected is refused: the ceremony belongs to this port.
        const fromOldDefault = await callDemo(demo, 'POST', '/users/admin/mfa/passkeys', admin.access_token, {
          name: 'Old',
          credential: authenticator.create(await options(), { origin: 'http://localhost:3000' }),
        });
        expect(fromOldDefault.status).toBe(400);
        const offered = await options();
        expect(offered.rp).toEqual({ id: 'localhost', name: 'nestjs-fabric-auth' });
        const registered = await callDemo(demo, 'POST', '/users/admin/mfa/passkeys', admin.access_token, { name: 'Laptop', credential: authenticator.create(offered) });
        expect(registered.status, JSON.stringify(registered.body)).toBe(201);
        const begin = await callDemo(demo, 'POST', '/auth/passkey/begin', undefined, {});
        expect(begin.status).toBe(200);
        const signedIn = await callDemo(demo, 'POST', '/auth/passkey/finish', undefined, { credential: authenticator.get(begin.body.options) });
        expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
        expect(decodePayload(signedIn.body.access_token)).toMatchObject({ sub: decodePayload(admin.access_token).sub, amr: ['hwk', 'mfa'] });
      } finally {
        await demo.stop();
        await db?.drop();
      }
    },
    60_000,
  );

  describe.each(['sqlite', 'postgres'] as const)('with an operator’s own config file (%s)', (kind) => {
    it('starts: the demo registers reports:read in code, and the file’s roles grant it', async () => {
      const cwd = cleanDir();
      const config = join(cwd, 'operator.yaml');
      writeFileSync(config, `auth:\n  secret_key: "${SECRET}"\n  system_admin_password: "${ADMIN_PASSWORD}"\n  bcrypt_cost: 10\n  roles:\n    analyst: [reports:read]\n`);
      const db = kind === 'postgres' ? await createScratchDatabase() : undefined;
      const demo = await startDemo({ CONFIG_FILE: config, DATABASE_URL: db?.url ?? 'sqlite:auth.sqlite' }, { cwd });
      try {
        const admin = await loginToDemo(demo, 'admin', ADMIN_PASSWORD);
        const created = await callDemo(demo, 'POST', '/users', admin.access_token, { username: 'ana', email: 'ana@example.com', password: 'Ana-passw0rd-1', roles: ['analyst'] });
        expect(created.status).toBe(201);
        const ana = await loginToDemo(demo, 'ana', 'Ana-passw0rd-1');
        expect((await callDemo(demo, 'GET', '/demo/reports', ana.access_token)).status).toBe(200);
      } finally {
        await demo.stop();
        await db?.drop();
      }
    }, 60_000);

    it('still refuses a role naming a permission nobody registered, in one block', async () => {
      const cwd = cleanDir();
      const config = join(cwd, 'operator.yaml');
      writeFileSync(config, `auth:\n  secret_key: "${SECRET}"\n  system_admin_password: "${ADMIN_PASSWORD}"\n  roles:\n    analyst: [reports:raed]\n`);
      const db = kind === 'postgres' ? await createScratchDatabase() : undefined;
      try {
        const { code, output } = await runDemoExpectingFailure({ CONFIG_FILE: config, DATABASE_URL: db?.url ?? 'sqlite:auth.sqlite' }, { cwd });
        expect(code).toBe(1);
        expect(output).toContain('Invalid nestjs-fabric-auth configuration:\n  - auth.roles.analyst: "reports:raed" is not a registered permission');
        expect(output).not.toMatch(NO_STACK);
      } finally {
        await db?.drop();
      }
    }, 60_000);
  });
});
