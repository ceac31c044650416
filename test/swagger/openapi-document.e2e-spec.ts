import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** The value with every object's keys sorted: the order of paths and schemas varies between startups. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, sortedKeys(v)]),
  );
}

/**
 * The whole OpenAPI document of the demo app with every feature, pinned: the library applies its
 * Swagger decorators late (core/open-api.ts), and anything they stop describing, or describe
 * otherwise, shows here as a diff. After a deliberate change of the docs, rewrite the file with
 * `npx vitest run test/swagger/openapi-document.e2e-spec.ts -u` and read its diff.
 */
describe('the OpenAPI document of the default app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite/express');
  });
  afterAll(() => t?.close());

  it('is the pinned one', async () => {
    const doc: unknown = (await t.http.get('/docs-json')).body;
    await expect(`${JSON.stringify(sortedKeys(doc), null, 2)}\n`).toMatchFileSnapshot('./openapi-document.json');
  });
});
