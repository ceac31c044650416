// npm run bench — requests per second of the same demo app, routes measured alternately
// (A B C A B C …) in one run, so machine noise hits every side alike. Prints the medians
// of the per-round ratios against the unguarded route.
//   BENCH_ROUNDS (default 7), BENCH_SECONDS per measurement (default 3), BENCH_CONNECTIONS (32)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import pg from 'pg';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ADMIN_PASSWORD = 'Bench-admin-passw0rd';
const LIST_ROWS = Number(process.env.BENCH_LIST_ROWS ?? 100_000);
const POSTGRES_URL = process.env.FABRIC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startDemo(dir, extraEnv = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/apps/demo/main.js'], {
    env: {
      PATH: process.env.PATH,
      NO_COLOR: '1',
      PORT: String(port),
      DATA_DIR: dir,
      FABRIC_AUTH__SECRET_KEY: 'bench-secret-8d2f6a1c9e4b7d3f0a5c2e8b',
      FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: ADMIN_PASSWORD,
      // The login storm below is the point, not something to throttle.
      FABRIC_SERVER__RATE_LIMITS: 'false',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('Listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`demo exited (${code}):\n${out}`)));
  });
  child.stdout.resume();
  return { child, base: `http://127.0.0.1:${port}` };
}

async function login(base, setCookies) {
  const res = await fetch(`${base}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD, set_cookies: setCookies }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
  const body = await res.json();
  const cookie = res.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
  return { token: body.access_token, cookie };
}

function measure(url, headers) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers }, (error, result) => {
      if (error) return reject(error);
      if (result.non2xx > 0 || result.errors > 0) {
        return reject(new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`));
      }
      resolve(result['2xx'] / SECONDS);
    });
  });
}

/** Latency of one route under a light, steady load: p50 and p99 in ms. */
function latency(url, headers, connections = 1) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: SECONDS, headers }, (error, result) => {
      if (error) return reject(error);
      if (result.non2xx > 0 || result.errors > 0) return reject(new Error(`${url}: ${result.non2xx} non-2xx answers`));
      resolve({ p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total });
    });
  });
}

function seedSqliteUsers(file, count) {
  const db = new Database(file);
  db.pragma('busy_timeout = 10000');
  const insert = db.prepare(
    'INSERT INTO users (id, username, email, full_name, password_hash, is_active, is_system_admin, email_verified, created_at, updated_at) ' +
      'VALUES (?, ?, ?, ?, NULL, ?, 0, 0, ?, ?)',
  );
  const start = Date.now() - count * 1000;
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const at = new Date(start + i * 1000).toISOString().replace('T', ' ').replace('Z', '');
      insert.run(crypto.randomUUID(), `bench${i}`, `bench${i}@example.test`, `Bench User ${i}`, i % 10 === 0 ? 0 : 1, at, at);
    }
  })();
  db.close();
}

async function seedPostgresUsers(url, count) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(
    `INSERT INTO users (id, username, email, full_name, is_active, is_system_admin, email_verified, created_at, updated_at)
     SELECT uuid_generate_v4(), 'bench' || g, 'bench' || g || '@example.test', 'Bench User ' || g, g % 10 <> 0, false, false,
            now() - (g || ' seconds')::interval, now()
     FROM generate_series(1, $1::int) g`,
    [count],
  );
  await client.query('ANALYZE users');
  await client.end();
}

async function seedPostgresKeys(url, count) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(
    `INSERT INTO api_keys (id, name, prefix, key_hash, user_id, scopes, expires_at, created_at, use_count)
     SELECT uuid_generate_v4(), 'bench-' || g, 'fab_bench', encode(sha256(('bench-key-' || g)::bytea), 'hex'),
            (SELECT id FROM users WHERE username = 'admin'), NULL, now() + interval '30 days', now(), 0
     FROM generate_series(1, $1::int) g`,
    [count],
  );
  await client.query('ANALYZE api_keys');
  await client.end();
}

/** Requests per second of the JWT route and of the API-key route, alternated, and their ratio. */
async function apiKeyThroughput(base) {
  const { token } = await login(base, false);
  const created = await fetch(`${base}/api/v1/users/admin/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench' }),
  });
  if (created.status !== 201) throw new Error(`key creation failed: ${created.status}`);
  const { key } = await created.json();
  const routes = [
    { name: 'FabricGuard, Bearer JWT', headers: { authorization: `Bearer ${token}` } },
    { name: 'FabricGuard, X-API-Key', headers: { 'x-api-key': key } },
  ];
  const url = `${base}/api/v1/demo/bench/guarded`;
  for (const route of routes) await measure(url, route.headers);
  const samples = routes.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, route] of routes.entries()) samples[i].push(await measure(url, route.headers));
    process.stderr.write(`api-key round ${round + 1}/${ROUNDS}: ${samples.map((s) => Math.round(s.at(-1))).join(' / ')} req/s\n`);
  }
  return routes.map((route, i) => ({
    name: route.name,
    rps: Math.round(median(samples[i])),
    ratio: median(samples[i].map((value, round) => value / samples[0][round])),
  }));
}

async function listLatencies(label, base) {
  const { token } = await login(base, false);
  const headers = { authorization: `Bearer ${token}` };
  const rows = [];
  for (const query of ['', '?sort=-created_at', '?offset=50000', '?is_active=false&sort=username', '?q=bench9999']) {
    await latency(`${base}/api/v1/users${query}`, headers);
    const result = await latency(`${base}/api/v1/users${query}`, headers);
    rows.push(`| ${label} | GET /users${query} | ${result.p50} | ${result.p99} |`);
  }
  return rows;
}

/** p99 of /auth/me alone, then while 16 connections log in as fast as they can. */
async function loginStorm(base, token) {
  const me = `${base}/api/v1/auth/me`;
  const headers = { authorization: `Bearer ${token}` };
  await latency(me, headers, 4);
  const idle = await latency(me, headers, 4);
  const storm = new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${base}/api/v1/auth/token`,
        method: 'POST',
        connections: 16,
        duration: SECONDS + 1,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }),
      },
      (error, result) => (error ? reject(error) : resolve(result['2xx'])),
    );
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const busy = await latency(me, headers, 4);
  return { idle, busy, logins: await storm };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'fabric-bench-'));
const { child, base } = await startDemo(join(dir, 'throughput'));
try {
  const bearer = await login(base, false);
  const browser = await login(base, true);
  const routes = [
    { name: 'unguarded', url: `${base}/api/v1/demo/bench/unguarded`, headers: {} },
    { name: 'JWT signature only (no revocation check)', url: `${base}/api/v1/demo/bench/signature-only`, headers: { authorization: `Bearer ${bearer.token}` } },
    { name: 'FabricGuard, Bearer JWT', url: `${base}/api/v1/demo/bench/guarded`, headers: { authorization: `Bearer ${bearer.token}` } },
    { name: 'FabricGuard, cookie', url: `${base}/api/v1/demo/bench/guarded`, headers: { cookie: browser.cookie } },
  ];
  for (const route of routes) await measure(route.url, route.headers); // warm-up: JIT, caches
  const samples = routes.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, route] of routes.entries()) samples[i].push(await measure(route.url, route.headers));
    process.stderr.write(`round ${round + 1}/${ROUNDS}: ${samples.map((s) => Math.round(s.at(-1))).join(' / ')} req/s\n`);
  }
  console.log(`\nnestjs-fabric-auth bench — ${ROUNDS} rounds × ${SECONDS}s, ${CONNECTIONS} connections, routes alternated\n`);
  console.log('| route | median req/s | median ratio to unguarded |');
  console.log('|---|---|---|');
  for (const [i, route] of routes.entries()) {
    const ratio = median(samples[i].map((value, round) => value / samples[0][round]));
    console.log(`| ${route.name} | ${Math.round(median(samples[i]))} | ${ratio.toFixed(3)} |`);
  }
  const revocationCost = median(samples[2].map((value, round) => value / samples[1][round]));
  console.log(`\nFabricGuard (revocation checked, cache hit) / signature-only guard: ${revocationCost.toFixed(3)}`);
  console.log('SPEC §10 targets: Bearer JWT ≥ 0.90× unguarded; immediate revocation costs ≤ 10% (ratio ≥ 0.90).');
  const storm = await loginStorm(base, bearer.token);
  console.log(`\nGET /auth/me p99 latency, 4 connections: idle ${storm.idle.p99} ms, during a login storm ${storm.busy.p99} ms ` +
    `(${storm.logins} logins in ${SECONDS}s) → ${(storm.busy.p99 / Math.max(1, storm.idle.p99)).toFixed(2)}× (SPEC §10 target ≤ 2×)`);
} finally {
  child.kill('SIGTERM');
}

// Listing at scale: the same demo on SQLite and on PostgreSQL, each with LIST_ROWS users.
const listRows = [];
const keyRows = [];
const sqliteDir = join(dir, 'list');
const sqlite = await startDemo(sqliteDir);
try {
  seedSqliteUsers(join(sqliteDir, 'fabric-auth.sqlite'), LIST_ROWS);
  listRows.push(...(await listLatencies('SQLite', sqlite.base)));
} finally {
  sqlite.child.kill('SIGTERM');
}
const admin = new pg.Client({ connectionString: POSTGRES_URL });
await admin.connect();
const scratch = `fabric_bench_${process.pid}`;
await admin.query(`CREATE DATABASE ${scratch}`);
try {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${scratch}`;
  const postgres = await startDemo(join(dir, 'pg'), { DATABASE_URL: url.toString() });
  try {
    await seedPostgresUsers(url.toString(), LIST_ROWS);
    listRows.push(...(await listLatencies('PostgreSQL', postgres.base)));
    await seedPostgresKeys(url.toString(), LIST_ROWS);
    keyRows.push(...(await apiKeyThroughput(postgres.base)));
  } finally {
    postgres.child.kill('SIGTERM');
    await new Promise((resolve) => postgres.child.once('exit', resolve));
  }
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\nListing users at ${LIST_ROWS} rows (one connection, ${SECONDS}s each; SPEC §10 target p50 < 20 ms)\n`);
console.log('| database | request | p50 ms | p99 ms |');
console.log('|---|---|---|---|');
for (const row of listRows) console.log(row);
console.log(`\nAPI keys on PostgreSQL with ${LIST_ROWS} keys stored (SPEC §10 target: X-API-Key ≥ 0.80× the JWT route)\n`);
console.log('| route | median req/s | median ratio to JWT |');
console.log('|---|---|---|');
for (const row of keyRows) console.log(`| ${row.name} | ${row.rps} | ${row.ratio.toFixed(3)} |`);
