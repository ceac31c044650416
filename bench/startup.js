// The startup section of `npm run bench` (issue 21 item 1): time to listening and resident
// memory of an empty Nest app, and of the same app with FabricAuthModule in a minimal shape
// (login routes only) and in its full shape, each a fresh process (bench/startup-app.js),
// the three alternated for BENCH_STARTUP_ROUNDS rounds (default 5); medians.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median } from './support.js';

const APP = fileURLToPath(new URL('./startup-app.js', import.meta.url));
const SHAPES = [
  { shape: 'empty', name: 'empty Nest app (Express, one route)' },
  { shape: 'minimal', name: 'FabricAuthModule, login routes only (SQLite in memory)' },
  { shape: 'full', name: 'FabricAuthModule, every feature (SQLite in memory)' },
];

function startOnce(shape) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', APP, shape], { env: { PATH: process.env.PATH, NO_COLOR: '1' }, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${shape}: ${error.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').at(-1)));
    });
  });
}

export async function runStartup() {
  const rounds = Number(process.env.BENCH_STARTUP_ROUNDS ?? 5);
  const samples = SHAPES.map(() => ({ ms: [], rss: [] }));
  for (const { shape } of SHAPES) await startOnce(shape); // warm the file cache
  for (let round = 0; round < rounds; round++) {
    for (const [i, { shape }] of SHAPES.entries()) {
      const { ms, rssMiB } = await startOnce(shape);
      samples[i].ms.push(ms);
      samples[i].rss.push(rssMiB);
    }
    process.stderr.write(`startup round ${round + 1}/${rounds}: ${samples.map((s) => `${s.ms.at(-1).toFixed(0)} ms ${s.rss.at(-1).toFixed(0)} MiB`).join(' / ')}\n`);
  }
  const [empty] = samples;
  console.log(`\nStartup, ${rounds} rounds alternated, a fresh process each (time from process start to listening; RSS after a GC)\n`);
  console.log('| app | median ms | median RSS MiB | added to the empty app |');
  console.log('|---|---|---|---|');
  for (const [i, { name }] of SHAPES.entries()) {
    const ms = median(samples[i].ms);
    const rss = median(samples[i].rss);
    const added = i === 0 ? '—' : `+${(ms - median(empty.ms)).toFixed(0)} ms, +${(rss - median(empty.rss)).toFixed(1)} MiB`;
    console.log(`| ${name} | ${ms.toFixed(0)} | ${rss.toFixed(1)} | ${added} |`);
  }
}
