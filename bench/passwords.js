// Password logins: logins per second with the default hash (argon2id, OWASP's m=19 MiB, t=2,
// p=1) beside the earlier defaults (scrypt N=2^13, r=8, p=10; bcrypt cost 12) and beside Better
// Auth's default hash (scrypt
// N=2^14, r=16, p=1, dkLen=64) run through node:crypto on the same number of threads, measured
// alternately; then SEC-102, a flood of 256 connections against one instance.
import { spawn } from 'node:child_process';
import { scrypt, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { ADMIN_PASSWORD, login, median, ROUNDS, SECONDS, startDemo } from './support.js';

const USERS = 32;
const PASSWORD = 'Bench-user-passw0rd';
const LOGIN_CONNECTIONS = 8;
/** The library's default pool size (README `auth.password_hash_concurrency`). */
const POOL = Math.max(1, Math.min(availableParallelism(), (Number(process.env.UV_THREADPOOL_SIZE) || 4) - 1));

async function createUsers(base) {
  const { token } = await login(base, false);
  const names = [];
  for (let i = 0; i < USERS; i++) {
    const username = `bench-login-${i}`;
    const res = await fetch(`${base}/api/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username, email: `${username}@example.test`, password: PASSWORD }),
    });
    if (res.status !== 201) throw new Error(`user creation failed: ${res.status}`);
    names.push(username);
  }
  return names;
}

/** Password logins of distinct users, `connections` at a time, for `seconds`: the autocannon result. */
function logins(base, names, connections, seconds) {
  let next = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${base}/api/v1/auth/token`,
        method: 'POST',
        connections,
        duration: seconds,
        headers: { 'content-type': 'application/json' },
        requests: [
          {
            setupRequest: (request) => ({
              ...request,
              body: JSON.stringify({ grant_type: 'password', username: names[next++ % names.length], password: PASSWORD }),
            }),
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

/** Hashes per second of Better Auth's default scrypt setting through node:crypto, POOL at a time: no HTTP, no database. */
async function peerHashesPerSecond(seconds) {
  let done = 0;
  const until = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      await new Promise((resolve, reject) =>
        scrypt('Bench-user-passw0rd', randomBytes(16), 64, { N: 16384, r: 16, p: 1, maxmem: 64 * 1024 * 1024 }, (e) => (e ? reject(e) : resolve())),
      );
      done++;
    }
  };
  await Promise.all(Array.from({ length: POOL }, worker));
  return done / seconds;
}

async function loginsPerSecond() {
  const settings = [
    { name: 'argon2id m=19 MiB, t=2, p=1 (default, OWASP)', env: {} },
    { name: 'scrypt N=2^13, r=8, p=10 (the previous default, OWASP)', env: { FABRIC_AUTH__PASSWORD_HASH: 'scrypt' } },
    { name: 'bcrypt cost 12 (the 0.1.0 default; now bcryptjs)', env: { FABRIC_AUTH__PASSWORD_HASH: 'bcrypt', FABRIC_AUTH__BCRYPT_COST: '12' } },
  ];
  const dirs = settings.map(() => mkdtempSync(join(tmpdir(), 'fabric-bench-hash-')));
  const demos = [];
  try {
    for (const [i, setting] of settings.entries()) demos.push(await startDemo(dirs[i], setting.env));
    const sides = settings.map((setting, i) => ({ name: setting.name, base: demos[i].base }));
    for (const side of sides) side.names = await createUsers(side.base);
    const seconds = SECONDS + 1;
    const samples = sides.map(() => []);
    const peer = [];
    const rounds = Math.max(3, Math.ceil(ROUNDS / 2));
    for (let round = 0; round < rounds; round++) {
      for (const [i, side] of sides.entries()) {
        const result = await logins(side.base, side.names, LOGIN_CONNECTIONS, seconds);
        if (result.non2xx > 0 || result.errors > 0) throw new Error(`${side.name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
        samples[i].push(result['2xx'] / seconds);
      }
      peer.push(await peerHashesPerSecond(seconds));
      process.stderr.write(`logins round ${round + 1}/${rounds}: ${[...samples, peer].map((s) => s.at(-1).toFixed(1)).join(' / ')} per second\n`);
    }
    console.log(`\nPassword logins per second, ${LOGIN_CONNECTIONS} connections, ${USERS} users, ${rounds} rounds alternated (pool of ${POOL} hashes at once)\n`);
    // Ratios of the medians: a side that completed nothing in a round would make a per-round ratio infinite.
    const ratio = (values) => (median(values) / Math.max(median(samples[0]), 1e-9)).toFixed(2);
    console.log('| hash of the stored passwords | median logins/s | × the default |');
    console.log('|---|---|---|');
    for (const [i, side] of sides.entries()) console.log(`| ${side.name} | ${median(samples[i]).toFixed(1)} | ${ratio(samples[i])} |`);
    const peerRatio = median(samples[0].map((v, r) => v / Math.max(peer[r], 1e-9)));
    console.log(
      `| peer: Better Auth's default hash (scrypt N=2^14, r=16, p=1, dkLen=64) in node:crypto, hashes alone (no HTTP, no database), ${POOL} at a time | ${median(peer).toFixed(1)} | ${ratio(peer)} |`,
    );
    console.log(`\nLogins/s with the default hash / the peer's hashes/s: ${peerRatio.toFixed(2)} (item 14 target ≥ 1)`);
  } finally {
    for (const demo of demos) demo.child.kill('SIGTERM');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * p99 of GET /auth/me, one connection back to back, for `seconds` (each request timed to its
 * last byte), from a child process: in this process the probe's timings would include the
 * time its callbacks wait behind autocannon's 256 connections on the same event loop.
 */
function meDuring(base, token, seconds) {
  const probe = `import { sequentialLatency } from ${JSON.stringify(new URL('./support.js', import.meta.url).href)};
    const result = await sequentialLatency(${JSON.stringify(`${base}/api/v1/auth/me`)}, { authorization: ${JSON.stringify(`Bearer ${token}`)} }, ${seconds}, 20);
    console.log(JSON.stringify(result));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', probe], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out).p99) : reject(new Error(`/auth/me probe exited ${code}`))));
  });
}

/** SEC-102: 256 connections logging in at once on one instance with the default queue. */
async function flood() {
  const dir = mkdtempSync(join(tmpdir(), 'fabric-bench-flood-'));
  const demo = await startDemo(dir);
  try {
    const names = await createUsers(demo.base);
    const { token } = await login(demo.base, false);
    const seconds = SECONDS + 2;
    const idleMeP99 = await meDuring(demo.base, token, SECONDS);
    const [result, meP99] = await Promise.all([logins(demo.base, names, 256, seconds), new Promise((r) => setTimeout(r, 500)).then(() => meDuring(demo.base, token, seconds - 1))]);
    const answered = result['2xx'] + result.non2xx;
    const shed = result.statusCodeStats?.['503']?.count ?? 0;
    const started = performance.now();
    const after = await fetch(`${demo.base}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }),
    });
    const afterMs = performance.now() - started;
    console.log(
      `\nSEC-102 login flood, 256 connections for ${seconds}s: ${answered} answers (${result['2xx']} logins, ${((shed / Math.max(1, answered)) * 100).toFixed(0)}% 503 with Retry-After, ` +
        `${answered - result['2xx'] - shed} other, ${result.timeouts} time-outs); login p99 ${result.latency.p99} ms; GET /auth/me p99 (from another process) idle ${idleMeP99} ms, during it ${meP99} ms; ` +
        `a fresh login after it: ${after.status} in ${afterMs.toFixed(0)} ms`,
    );
  } finally {
    demo.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runPasswords() {
  await loginsPerSecond();
  await flood();
}
