// The startup section of `npm run bench` (issue 21 item 1): time to listening and resident
// memory of an empty Nest app, of the host app FabricAuthModule joins (Nest + TypeORM on
// SQLite), and of that app with FabricAuthModule in a minimal shape (`features: ['login']`),
// the same without @nestjs/swagger (`openApi: false`), that one restarted on a database an earlier
// start set up (no migrations to run, no system admin to hash: a restart), and in its full shape;
// beside them the peer issue 21 compares with, Better Auth in the same empty app, first start and
// restart, so that both are measured in one run on one machine. Each a fresh process
// (bench/startup-app.js), alternated for BENCH_STARTUP_ROUNDS rounds (default 5); medians. CPU
// time is less noisy than wall time on a shared machine, so both are reported.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './support.js';

const APP = fileURLToPath(new URL('./startup-app.js', import.meta.url));
const SHAPES = [
  { shape: 'empty', name: 'empty Nest app (Express, one route)' },
  { shape: 'host', name: 'host app: Nest + TypeORM (SQLite in memory)' },
  { shape: 'minimal', name: "FabricAuthModule, features: ['login'] (SQLite in memory)" },
  { shape: 'minimal-no-openapi', name: "FabricAuthModule, features: ['login'], openApi: false" },
  { shape: 'minimal-restart', name: 'the same, restarted (SQLite file set up by an earlier start)' },
  { shape: 'full', name: 'FabricAuthModule, every feature (SQLite in memory)' },
  { shape: 'better-auth', name: 'Better Auth 1.7 in the empty app, email and password (SQLite in memory, its migrations run)', peer: true },
  { shape: 'better-auth-restart', name: 'the same, restarted (SQLite file set up by an earlier start)', peer: true },
];
const at = (shape) => SHAPES.findIndex((s) => s.shape === shape);

const RESTART_DIR = mkdtempSync(join(tmpdir(), 'fabric-bench-startup-'));
const RESTART_DATABASE = join(RESTART_DIR, 'restart.sqlite');
const BETTER_AUTH_RESTART_DATABASE = join(RESTART_DIR, 'better-auth-restart.sqlite');

function startOnce(shape) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', APP, shape],
      {
        env: { PATH: process.env.PATH, NO_COLOR: '1', BENCH_STARTUP_DATABASE: RESTART_DATABASE, BENCH_STARTUP_BETTER_AUTH_DATABASE: BETTER_AUTH_RESTART_DATABASE },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${shape}: ${error.message}\n${stderr}`));
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)));
      },
    );
  });
}

export async function runStartup() {
  const rounds = Number(process.env.BENCH_STARTUP_ROUNDS ?? 5);
  const samples = SHAPES.map(() => ({ ms: [], cpu: [], rss: [] }));
  // Warms the file cache, and sets up the databases `minimal-restart` and `better-auth-restart` start on.
  for (const { shape } of SHAPES) await startOnce(shape);
  for (let round = 0; round < rounds; round++) {
    for (const [i, { shape }] of SHAPES.entries()) {
      const { ms, cpuMs, rssMiB } = await startOnce(shape);
      samples[i].ms.push(ms);
      samples[i].cpu.push(cpuMs);
      samples[i].rss.push(rssMiB);
    }
    process.stderr.write(`startup round ${round + 1}/${rounds}: ${samples.map((s) => `${s.ms.at(-1).toFixed(0)} ms ${s.rss.at(-1).toFixed(0)} MiB`).join(' / ')}\n`);
  }
  rmSync(RESTART_DIR, { recursive: true, force: true });
  const [empty, host] = samples;
  const signed = (n, digits) => `${n < 0 ? '−' : '+'}${Math.abs(n).toFixed(digits)}`;
  const over = (s, base) =>
    `${signed(median(s.ms) - median(base.ms), 0)} ms (CPU ${signed(median(s.cpu) - median(base.cpu), 0)}), ${signed(median(s.rss) - median(base.rss), 1)} MiB`;
  console.log(`\nStartup, ${rounds} rounds alternated, a fresh process each (time from process start to listening; CPU time to then; RSS after a GC)\n`);
  console.log('| app | median ms | median CPU ms | median RSS MiB | added to the empty app | added to the host app |');
  console.log('|---|---|---|---|---|---|');
  for (const [i, { name, peer }] of SHAPES.entries()) {
    const s = samples[i];
    console.log(
      `| ${name} | ${median(s.ms).toFixed(0)} | ${median(s.cpu).toFixed(0)} | ${median(s.rss).toFixed(1)} | ${i === 0 ? '—' : over(s, empty)} | ${i < 2 || peer ? '—' : over(s, host)} |`,
    );
  }
  // Issue 21's target: our minimal start adds less to the empty app than Better Auth does.
  const versus = (ours, theirs) => `${over(samples[at(ours)], empty)} against Better Auth's ${over(samples[at(theirs)], empty)}`;
  console.log(`\nAdded to the empty app, FabricAuthModule features: ['login'] against Better Auth:`);
  console.log(`- restarted: ${versus('minimal-restart', 'better-auth-restart')}`);
  console.log(`- first start (migrations run; ours also creates the system admin and builds the OpenAPI document): ${versus('minimal', 'better-auth')}`);
}
