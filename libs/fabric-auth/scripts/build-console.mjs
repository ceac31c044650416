// Builds the admin console (console/src) into dist/console: one script and one stylesheet,
// content-hashed names (cached for a year by the server), each also precompressed (.gz, .br),
// and manifest.json naming them for the server. Prints the sizes; fails past the budget.
// Run by `npm run build` at the workspace root and by the package's prepack.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(PACKAGE, 'dist', 'console');
// What the console may weigh on the wire (brotli, script + stylesheet): a guard against a heavy dependency slipping in.
const BUDGET_BYTES = 40 * 1024;

rmSync(OUT, { recursive: true, force: true });
const result = await build({
  absWorkingDir: PACKAGE,
  entryPoints: { console: 'console/src/main.tsx' },
  outdir: join(OUT, 'assets'),
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome111', 'firefox115', 'safari16.4'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((file) => join(PACKAGE, file));
const named = (ext) => {
  const found = outputs.filter((file) => file.endsWith(ext));
  if (found.length !== 1) throw new Error(`build-console: expected one ${ext} output, got ${found.length}`);
  return basename(found[0]);
};
const manifest = { script: named('.js'), stylesheet: named('.css') };

let total = { raw: 0, gzip: 0, br: 0 };
const rows = [];
for (const file of outputs) {
  const body = readFileSync(file);
  const gzip = gzipSync(body, { level: 9 });
  const br = brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
  writeFileSync(`${file}.gz`, gzip);
  writeFileSync(`${file}.br`, br);
  rows.push(`  ${basename(file).padEnd(28)} ${String(body.length).padStart(7)} B  gzip ${String(gzip.length).padStart(6)} B  brotli ${String(br.length).padStart(6)} B`);
  total = { raw: total.raw + body.length, gzip: total.gzip + gzip.length, br: total.br + br.length };
}
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
// On stderr: this runs in `prepack`, and `npm pack --json` prints its JSON on stdout.
console.error(`admin console bundle (dist/console/assets):\n${rows.join('\n')}\n  total ${total.raw} B, gzip ${total.gzip} B, brotli ${total.br} B`);
if (total.br > BUDGET_BYTES) {
  console.error(`build-console: ${total.br} B brotli is over the ${BUDGET_BYTES} B budget`);
  process.exit(1);
}
