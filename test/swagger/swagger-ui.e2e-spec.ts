import { existsSync } from 'node:fs';
import { SwaggerModule } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FabricAuthModule, withFabricAuthSecurity } from 'nestjs-fabric-auth';
import { fabricAuthMigrations } from 'nestjs-fabric-auth/migrations';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium } from '../support/oidc/chromium.js';
import { ADAPTERS, API, scratchDatabase, startTestApp, TEST_OPTIONS, type TestApp } from '../support/test-app.js';

type Operation = {
  summary?: string;
  description?: string;
  security?: Array<Record<string, string[]>>;
  responses: Record<string, { content?: unknown }>;
};

describe.each(ADAPTERS)('the OpenAPI document and Swagger UI on %s', (adapter) => {
  let t: TestApp;
  let doc: {
    paths: Record<string, Record<string, Operation>>;
    components: { securitySchemes: Record<string, unknown>; schemas: Record<string, { properties?: Record<string, { description?: string; example?: unknown; items?: object }> }> };
  };
  beforeAll(async () => {
    t = await startTestApp(`sqlite/${adapter}`);
    doc = (await t.http.get('/docs-json')).body;
  });
  afterAll(() => t?.close());

  it('offers the OAuth2 password flow against the token endpoint, a Bearer token and an API key, not the cookie', () => {
    expect(doc.components.securitySchemes).toMatchObject({
      oauth2: { type: 'oauth2', flows: { password: { tokenUrl: `${API}/auth/token` } } },
      bearer: { type: 'http', scheme: 'bearer' },
      api_key: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    });
    expect(doc.components.securitySchemes).not.toHaveProperty('cookie');
  });

  it('every operation that takes a credential accepts the OAuth2 token, and none names the cookie', () => {
    const secured = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, op]) => op.security !== undefined)
        .map(([method, op]) => ({ at: `${method} ${path}`, schemes: op.security!.flatMap((s) => Object.keys(s)) })),
    );
    expect(secured.map((s) => s.at)).toContain(`get ${API}/auth/me`);
    expect(secured.length).toBeGreaterThan(30);
    for (const { at, schemes } of secured) {
      expect(schemes, at).toContain('oauth2');
      expect(schemes, at).toContain('bearer');
      expect(schemes, at).not.toContain('cookie');
    }
  });

  it('every operation has a summary and a description', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ at: `${method} ${path}`, op })));
    expect(operations.length).toBeGreaterThan(40);
    for (const { at, op } of operations) {
      expect(op.summary, at).toMatch(/\w{3}/);
      expect(op.description, at).toMatch(/\w{3}/);
      expect(op.description, at).not.toBe(op.summary);
    }
  });

  it('every field of a request or answer body has a description and an example', () => {
    const schemas = Object.entries(doc.components.schemas);
    expect(schemas.filter(([name]) => name.endsWith('ListDto')).length).toBeGreaterThanOrEqual(7);
    for (const [name, schema] of schemas) {
      for (const [field, property] of Object.entries(schema.properties ?? {})) {
        expect(property.description, `${name}.${field}`).toMatch(/\w{3}/);
        // A field holding other schemas (a list's items) shows their examples.
        const holdsSchemas = '$ref' in property || (property.items !== undefined && '$ref' in property.items);
        if (!holdsSchemas) expect(property, `${name}.${field}`).toHaveProperty('example');
      }
    }
  });

  it('every error answer has a schema', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) >= 400) expect(response.content, `${method} ${path} ${status}`).toBeDefined();
        }
      }
    }
  });
});

describe('the token URL follows the prefixes', () => {
  it('global prefix and routePrefix', async () => {
    const db = await scratchDatabase('sqlite');
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: (db.choice as { database: string }).database,
          autoLoadEntities: true,
          migrations: fabricAuthMigrations('better-sqlite3'),
          migrationsRun: true,
        }),
        FabricAuthModule.forRoot({ ...TEST_OPTIONS, routePrefix: 'identity' }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.setGlobalPrefix('svc');
    try {
      await app.init();
      const document = withFabricAuthSecurity(SwaggerModule.createDocument(app, { openapi: '3.0.0', info: { title: 't', version: '1' } }));
      expect(document.components!.securitySchemes!.oauth2).toMatchObject({ flows: { password: { tokenUrl: '/svc/identity/auth/token' } } });
    } finally {
      await app.close();
      await db.drop();
    }
  });
});

describe("Swagger UI's Authorize dialog in a real browser", () => {
  let t: TestApp;
  let browser: { context: BrowserContext; close(): Promise<void> };
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    t = await startTestApp('sqlite/express');
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('logs in with the password flow, then "Try it out" on /auth/me answers 200', async () => {
    const { user, password } = await t.createUser({ roles: ['viewer'] });
    const page = await browser.context.newPage();
    await page.goto(`${t.url}/docs/`);
    await page.click('button.btn.authorize');
    await page.fill('#oauth_username', user.username);
    await page.fill('#oauth_password', password);
    const tokenAnswer = page.waitForResponse((r) => r.url().endsWith(`${API}/auth/token`));
    await page.click('.auth-container button.btn.modal-btn.auth.authorize');
    expect((await tokenAnswer).status()).toBe(200);
    await page.waitForSelector('.auth-container button[aria-label="Remove authorization"]');
    await page.click('.auth-container button.btn-done >> nth=0');

    await page.click('#operations-auth-AuthController_me .opblock-summary');
    await page.click('#operations-auth-AuthController_me button.try-out__btn');
    const meAnswer = page.waitForResponse((r) => r.url().endsWith(`${API}/auth/me`));
    await page.click('#operations-auth-AuthController_me button.execute');
    const me = await meAnswer;
    expect(me.status()).toBe(200);
    expect(me.request().headers().authorization).toMatch(/^Bearer /);
    expect(await me.json()).toMatchObject({ username: user.username, auth_method: 'jwt' });
    await expect.poll(() => page.textContent('#operations-auth-AuthController_me .live-responses-table tbody .response-col_status')).toContain('200');
  }, 60_000);
});
