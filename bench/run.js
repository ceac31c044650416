// npm run bench — requests per second of the same demo app, routes measured alternately
// (A B C A B C …) in one run, so machine noise hits every side alike. Prints the medians
// of the per-round ratios against the unguarded route, then the scale section (bench/scale.js).
//   BENCH_ROUNDS (default 7), BENCH_SECONDS per measurement (default 3), BENCH_CONNECTIONS (32),
//   BENCH_SCALE rows per table for the scale section (default 10000; 1000000 for SPEC §10)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { runForeignTokens } from './foreign-tokens.js';
import { runKeyListing } from './key-listing.js';
import { runPasswords } from './passwords.js';
import { runScale } from './scale.js';
import { ADMIN_PASSWORD, latency, login, measure, median, ROUNDS, SECONDS, CONNECTIONS, startDemo } from './support.js';

/**
 * SEC-80: latency of one user's password login, idle and while another user fires 24
 * parallel wrong `current_password` guesses without pause (lockout raised out of the way,
 * so only the per-account bcrypt lane bounds them). Target: ≤ 2× idle.
 */
async function secretCheckStorm(base) {
  const { token } = await login(base, false);
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const other = { username: 'bench-other', password: 'Bench-other-passw0rd' };
  const created = await fetch(`${base}/api/v1/users`, { method: 'POST', headers: auth, body: JSON.stringify({ ...other, email: 'bench-other@example.test' }) });
  if (created.status !== 201) throw new Error(`user creation failed: ${created.status}`);
  const timedLogin = async () => {
    const started = performance.now();
    const res = await fetch(`${base}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'password', ...other }),
    });
    if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
    return performance.now() - started;
  };
  const sample = async (n) => {
    const times = [];
    for (let i = 0; i < n; i++) times.push(await timedLogin());
    return median(times);
  };
  await sample(3);
  const idle = await sample(15);
  let running = true;
  let guesses = 0;
  const guesser = async () => {
    while (running) {
      await fetch(`${base}/api/v1/users/admin/password`, { method: 'POST', headers: auth, body: JSON.stringify({ current_password: 'Wrong-guess-123', new_password: 'Never-set-pass-1' }) });
      guesses++;
    }
  };
  const storm = Array.from({ length: 24 }, guesser);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const busy = await sample(15);
  running = false;
  await Promise.all(storm);
  return { idle, busy, guesses };
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
  console.log(`\nCost of the revocation guarantee — FabricGuard (cache hit, revocation log read every second) / signature-only guard: ${revocationCost.toFixed(3)}`);
  console.log('SPEC §10 targets: Bearer JWT ≥ 0.90× unguarded; immediate revocation costs ≤ 5% (ratio ≥ 0.95).');
  const storm = await loginStorm(base, bearer.token);
  console.log(`\nGET /auth/me p99 latency, 4 connections: idle ${storm.idle.p99} ms, during a login storm ${storm.busy.p99} ms ` +
    `(${storm.logins} logins in ${SECONDS}s) → ${(storm.busy.p99 / Math.max(1, storm.idle.p99)).toFixed(2)}× (SPEC §10 target ≤ 2×)`);
} finally {
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

const secretDir = mkdtempSync(join(tmpdir(), 'fabric-bench-secret-'));
const secretChecks = await startDemo(secretDir, { FABRIC_AUTH__LOCKOUT_THRESHOLD: '1000', FABRIC_AUTH__LOCKOUT_ACCOUNT_THRESHOLD: '0' });
try {
  const { idle, busy, guesses } = await secretCheckStorm(secretChecks.base);
  console.log(`\nAnother user's password login, median of 15: idle ${idle.toFixed(0)} ms, while one user sends 24 parallel wrong current_password ` +
    `guesses ${busy.toFixed(0)} ms (${guesses} guesses) → ${(busy / idle).toFixed(2)}× (SEC-80 target ≤ 2×)`);
} finally {
  secretChecks.child.kill('SIGTERM');
  rmSync(secretDir, { recursive: true, force: true });
}

// Password logins per second against the old default and a peer's hash, and the SEC-102 flood (bench/passwords.js).
await runPasswords();

// EdDSA and trusted-issuer tokens (bench/foreign-tokens.js).
await runForeignTokens();

// Listing, credentials and logins with BENCH_SCALE rows (bench/scale.js).
await runScale();

// Listing a user's keys while many distinct keys are in use (bench/key-listing.js).
await runKeyListing();
