// The key-listing section of `npm run bench`: p50/p99 of listing one owner's API keys while
// 16 connections authenticate with BENCH_DISTINCT_KEYS (600) distinct keys, every use counted
// and flushed in batches. The listing must not wait for that flush (issue 10).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
// Not public API: tsc's per-module output, which libs/fabric-auth/scripts/bundle-dist.mjs bundles into dist/.
import { generateApiKey } from '../libs/fabric-auth/dist/.build/js/access/api-keys/api-key-format.js';
import { latency, login, POSTGRES_URL, SECONDS, startDemo } from './support.js';

const DISTINCT_KEYS = Number(process.env.BENCH_DISTINCT_KEYS ?? 600);

export async function runKeyListing() {
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  const scratch = `fabric_bench_keys_${process.pid}`;
  await admin.query(`CREATE DATABASE ${scratch}`);
  const dir = mkdtempSync(join(tmpdir(), 'fabric-bench-keys-'));
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${scratch}`;
  let demo;
  try {
    demo = await startDemo(dir, { DATABASE_URL: url.toString() });
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    const keys = Array.from({ length: DISTINCT_KEYS }, generateApiKey);
    const owner = (await client.query(`SELECT id FROM users WHERE username = 'admin'`)).rows[0].id;
    for (let i = 0; i < keys.length; i += 200) {
      const batch = keys.slice(i, i + 200);
      const values = batch.map((_, j) => `(uuid_generate_v4(), 'traffic', $${j * 2 + 1}, $${j * 2 + 2}, $${batch.length * 2 + 1}::uuid, now() + interval '30 days', now(), 0)`);
      await client.query(`INSERT INTO api_keys (id, name, prefix, key_hash, user_id, expires_at, created_at, use_count) VALUES ${values.join(', ')}`, [
        ...batch.flatMap((k) => [k.prefix, k.hash]),
        owner,
      ]);
    }
    await client.end();
    const { token } = await login(demo.base, false);
    const listing = `${demo.base}/api/v1/users/admin/api-keys?limit=50`;
    const headers = { authorization: `Bearer ${token}` };
    await latency(listing, headers);
    const idle = await latency(listing, headers);
    let next = 0;
    const duration = SECONDS * 2 + 2;
    const traffic = new Promise((resolve, reject) => {
      autocannon(
        {
          url: `${demo.base}/api/v1/demo/bench/guarded`,
          connections: 16,
          duration,
          requests: [{ setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'x-api-key': keys[next++ % keys.length].key } }) }],
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const busy = await latency(listing, headers);
    const load = await traffic;
    console.log(`\nGET /users/admin/api-keys (one connection, ${DISTINCT_KEYS} keys listed 50 a page) while 16 connections use ${DISTINCT_KEYS} distinct keys`);
    console.log(
      `(${Math.round(load['2xx'] / duration)} req/s, ${load.non2xx} non-2xx): idle p50 ${idle.p50} ms, p99 ${idle.p99} ms; under key traffic p50 ${busy.p50} ms, p99 ${busy.p99} ms`,
    );
  } finally {
    demo?.child.kill('SIGTERM');
    if (demo) await new Promise((resolve) => demo.child.once('exit', resolve));
    await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runKeyListing();
