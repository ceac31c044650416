import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, type TestApp } from '../support/test-app.js';
import { bearer, platformToken, SCIM, SCIM_JSON, startScimApp } from './scim-app.js';

interface Step {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  status: number;
  /** Names of values to keep from the answer (`{ user: "id" }`), for later `{{user}}`. */
  capture?: Record<string, string>;
  /** A subset the answer's body must contain (objects compared as subsets, arrays element-wise). */
  expect?: unknown;
}

const here = dirname(fileURLToPath(import.meta.url));
const sequences = ['entra-validator', 'okta-validator'].map((name) => ({
  name,
  steps: (JSON.parse(readFileSync(join(here, 'fixtures', `${name}.json`), 'utf8')) as { steps: Step[] }).steps,
}));

function fill(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') return value.replace(/\{\{(\w+)\}\}/g, (_, name: string) => vars[name] ?? `{{${name}}}`);
  if (Array.isArray(value)) return value.map((v) => fill(v, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars)]));
  return value;
}

// Issue 24 item 2: the traffic Okta and Entra really send, as recorded sequences (test/scim/fixtures).
describe.each(DATABASES)('recorded IdP sequences on %s', (kind) => {
  let t: TestApp;
  let key: string;
  beforeAll(async () => {
    t = await startScimApp(kind);
    key = (await platformToken(t, await t.adminToken())).key;
  });
  afterAll(() => t?.close());

  it.each(sequences)('$name', async ({ steps }) => {
    const vars: Record<string, string> = { unique: `seq${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}` };
    for (const [i, raw] of steps.entries()) {
      const step = fill(raw, vars) as Step;
      const label = `step ${i + 1}: ${step.method} ${step.path}`;
      let req = t.http[step.method.toLowerCase() as 'get'](`${SCIM}${step.path}`).set(bearer(key));
      if (step.body !== undefined) req = req.set('content-type', SCIM_JSON).send(JSON.stringify(step.body));
      const res = await req;
      expect(res.status, `${label} → ${JSON.stringify(res.body)}`).toBe(step.status);
      if (res.status !== 204) expect(res.headers['content-type'], label).toContain(SCIM_JSON);
      if (step.expect !== undefined) expect(res.body, label).toMatchObject(step.expect as object);
      for (const [name, field] of Object.entries(step.capture ?? {})) vars[name] = res.body[field] as string;
    }
  });
});
