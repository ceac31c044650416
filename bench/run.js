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

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ADMIN_PASSWORD = 'Bench-admin-passw0rd';

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

async function startDemo(dir) {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/apps/demo/main.js'], {
    env: {
      PATH: process.env.PATH,
      NO_COLOR: '1',
      PORT: String(port),
      DATA_DIR: dir,
      FABRIC_AUTH__SECRET_KEY: 'bench-secret-8d2f6a1c9e4b7d3f0a5c2e8b',
      FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: ADMIN_PASSWORD,
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

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'fabric-bench-'));
const { child, base } = await startDemo(dir);
try {
  const bearer = await login(base, false);
  const browser = await login(base, true);
  const routes = [
    { name: 'unguarded', url: `${base}/api/v1/demo/ping`, headers: {} },
    { name: 'FabricGuard, Bearer JWT', url: `${base}/api/v1/demo/protected`, headers: { authorization: `Bearer ${bearer.token}` } },
    { name: 'FabricGuard, cookie', url: `${base}/api/v1/demo/protected`, headers: { cookie: browser.cookie } },
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
  console.log('\nSPEC §10 target: Bearer JWT ≥ 0.90× unguarded.');
} finally {
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
