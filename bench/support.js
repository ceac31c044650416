// Helpers shared by the bench sections: the demo app in a child process, logins, autocannon runs.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import autocannon from 'autocannon';

export const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
export const ADMIN_PASSWORD = 'Bench-admin-passw0rd';
export const POSTGRES_URL = process.env.FABRIC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function startDemo(dir, extraEnv = {}) {
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
      // The routes compared, among them a guard that skips revocation: the demo mounts them only on request (SEC-89).
      DEMO_BENCH_ROUTES: '1',
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

export async function login(base, setCookies) {
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

/** An API key of the admin's (no scopes: the admin's permissions), made through the API. */
export async function createApiKey(base, token) {
  const res = await fetch(`${base}/api/v1/users/admin/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `bench-${Date.now()}` }),
  });
  if (res.status !== 201) throw new Error(`API key creation failed: ${res.status} ${await res.text()}`);
  return (await res.json()).key;
}

export function measure(url, headers, seconds = SECONDS) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: seconds, headers }, (error, result) => {
      if (error) return reject(error);
      if (result.non2xx > 0 || result.errors > 0) {
        return reject(new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`));
      }
      resolve(result['2xx'] / seconds);
    });
  });
}

/**
 * The order of `n` measurements in round `round`: a balanced Latin square (Williams design).
 * Over `n` rounds (2n when n is odd) each one takes every place in the round once and follows
 * every other one once, so a drift within the round (the machine's load, the heap of the
 * server measured before) falls on every route alike instead of always on the last ones.
 */
export function balancedOrder(n, round) {
  // 0, 1, n-1, 2, n-2, … : the differences between neighbours are all distinct mod n.
  const row = Array.from({ length: n }, (_, j) => ((j === 0 ? 0 : j % 2 === 1 ? (j + 1) / 2 : n - j / 2) + round) % n);
  // For an odd n the first n rounds balance neighbours one way only; the next n run them backwards.
  return n % 2 === 1 && Math.floor(round / n) % 2 === 1 ? row.reverse() : row;
}

/** Latency of one route under a light, steady load: p50 and p99 in ms. */
export function latency(url, headers, connections = 1) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: SECONDS, headers }, (error, result) => {
      if (error) return reject(error);
      if (result.non2xx > 0 || result.errors > 0) return reject(new Error(`${url}: ${result.non2xx} non-2xx answers`));
      resolve({ p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total });
    });
  });
}

/**
 * p50/p99 of one connection sending `url` back to back for `seconds`, and always at least
 * `minimum` requests, each timed to its last byte: a request slower than the window is
 * reported as it is (autocannon's fixed window answered 0/0 for it).
 */
export async function sequentialLatency(url, headers, seconds = SECONDS, minimum = 1) {
  const samples = [];
  const started = performance.now();
  while (samples.length < minimum || performance.now() - started < seconds * 1000) {
    const t0 = performance.now();
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    samples.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  }
  return percentiles(samples);
}

/** p50 and p99 of request times (ms), to 0.01 ms: a cached /auth/me takes well under a millisecond, so tenths made its ratios coarse. */
function percentiles(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { p50: Math.round(at(0.5) * 100) / 100, p99: Math.round(at(0.99) * 100) / 100, requests: sorted.length };
}

/**
 * p50/p99 of each of `urls` over one connection, taken in turns: blocks of about BLOCK_MS of
 * one, a pause for the server to settle, then the next (the order reversed every other round), for `seconds` in all and at
 * least `minimum` requests each. Side by side in time, a drift of the machine falls on all
 * alike: timed one after the other for 3 s each, a cached GET /auth/me moved between 0.33 and
 * 0.99 ms within one run, and the ratio of the list measured beside it with it. `pid`: the
 * server, whose CPU time per request of each (over its own blocks) comes back as `cpu` (ms),
 * where /proc has it.
 */
export async function alternatedLatency(pid, headers, urls, seconds = SECONDS, minimum = 3) {
  const [BLOCK_MS, SETTLE_MS] = [100, 5];
  const sides = urls.map(() => ({ samples: [], cpu: 0 }));
  const started = performance.now();
  const done = () => sides.every((side) => side.samples.length >= minimum) && performance.now() - started >= seconds * 1000;
  for (let round = 0; !done(); round++) {
    const order = round % 2 === 0 ? urls.keys() : [...urls.keys()].reverse();
    for (const i of order) {
      const side = sides[i];
      const before = cpuTime(pid);
      const blockStarted = performance.now();
      do {
        const t0 = performance.now();
        const res = await fetch(urls[i], { headers });
        await res.arrayBuffer();
        side.samples.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`${urls[i]}: ${res.status}`);
      } while (performance.now() - blockStarted < BLOCK_MS);
      // What the server still does for this block after its last answer (a garbage collector's
      // threads) is this block's, not charged to the next one's CPU or latency.
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const after = cpuTime(pid);
      side.cpu = before === undefined || after === undefined || side.cpu === undefined ? undefined : side.cpu + (after - before);
    }
  }
  return sides.map(({ samples, cpu }) => ({
    ...percentiles(samples),
    cpu: cpu === undefined ? undefined : Math.round((cpu / samples.length) * 100) / 100,
  }));
}

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc (Linux; undefined
 * elsewhere). Per request, over a few hundred requests, it is steadier than latency on a
 * busy machine: it counts the server's own work, not its wait for a core.
 */
export function cpuTime(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime, in clock ticks of 10 ms (USER_HZ is 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
