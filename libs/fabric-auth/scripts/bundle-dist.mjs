// Bundles tsc's JavaScript (dist/.build/js, one file per module) into dist/. Why: Node 20 has no
// compile cache, and an import of the package through its ~230 eagerly loaded files cost ~300 ms
// of the ESM loader (resolve, realpath, read, compile per file); a few chunks cost a fraction.
//
// - The input is tsc's output, not the TypeScript source: it keeps tsc's `__decorate` and
//   `__metadata("design:paramtypes", …)` calls, which Nest's dependency injection reads
//   (emitDecoratorMetadata; esbuild does not emit that metadata from TypeScript).
// - `packages: 'external'`: every dependency and peer stays an import, resolved in the app.
// - `keepNames`: two modules' classes of the same name in one chunk get renamed; their `.name`
//   (Nest's provider tokens and log contexts, TypeORM's entity names) must not change.
// - Every module exists once in dist/, so a class has ONE identity whether imported from
//   'nestjs-fabric-auth' or 'nestjs-fabric-auth/entities' (TypeORM's entity metadata and
//   `instanceof` rely on it).
//
// Two esbuild builds, because one build with every feature's dynamic `import()` as an entry
// point splits the code the root loads into ~60 chunks (one per set of features sharing a
// module), nearly as many files to load as it saves:
//   1. the core: the entry points of the exports map (index, entities, migrations,
//      testing/index) and the CLI (cli/main), with the lazy dynamic imports (the features', in
//      fabric-auth.features.ts, and the CLI's commands) left out (external), split into a few
//      shared chunks; plus dist/chunks/core.js, which re-exports (export *) what the lazy parts
//      import of the core (the build fails if two of those modules export different things under
//      one name);
//   2. the lazy parts: one entry per feature module (and CLI command module), in
//      dist/chunks/<name>.js, loaded by its dynamic import only when needed; their imports of core
//      modules become imports of dist/chunks/core.js (live bindings, no second copy); code two of
//      them share (and the core does not) goes to shared dist/chunks/lazy-*.js.
// (esbuild has no manual chunks; three quick probe builds before the two say what is core, what
// the lazy parts use of it and its export names.)
// No source maps (the tarball ships none). dist/.build/meta.json holds both builds' metafiles
// (which module went to which file; test/module/feature-loading reads it). dist/.build is not
// shipped. The typings stay as tsc wrote them, one .d.ts per module in dist/ (declarationDir).
// Run by `npm run build` at the workspace root and by the package's prepack, after tsc.
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(PACKAGE, 'dist');
const BUILD = join(DIST, '.build');
const COMPILED = join(BUILD, 'js');
const ENTRY_POINTS = ['index', 'entities', 'migrations', 'testing/index', 'cli/main'];
// The module whose dynamic imports load the features (FEATURE_CATALOG's `load`).
const FEATURE_LOADER = join(COMPILED, 'fabric-auth.features.js');
const LAZY = '__fabric_lazy__/';
const CORE = '__fabric_core__';

const common = {
  absWorkingDir: PACKAGE,
  outdir: DIST,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  keepNames: true,
  sourcemap: false,
  // The input is JavaScript already: no tsconfig of the workspace applies to it.
  tsconfigRaw: '{}',
  metafile: true,
  write: false,
  logLevel: 'warning',
  // tsc's helpers read `this.__decorate` at a module's top level, which is undefined in ESM (as it is unbundled).
  logOverride: { 'this-is-undefined-in-esm': 'silent' },
};
const absolute = (path) => join(PACKAGE, path);
const inputsOf = (metafile) =>
  new Set(
    Object.keys(metafile.inputs)
      .filter((input) => !input.includes(':'))
      .map(absolute),
  );

// The lazily loaded parts: the dynamic imports of the feature loader (each feature), and those of
// the CLI (its commands) but for modules the entry points import anyway; each named after its file.
const LAZY_LOADERS = new Set([FEATURE_LOADER, join(COMPILED, 'cli/main.js')]);
const lazyEntries = new Map();
let staticallyLoaded = new Set();
const leaveLazyOut = {
  name: 'leave-lazy-out',
  setup(b) {
    b.onResolve({ filter: /^\./ }, (args) => {
      if (args.kind !== 'dynamic-import' || !LAZY_LOADERS.has(args.importer)) return undefined;
      const path = join(dirname(args.importer), args.path);
      if (staticallyLoaded.has(path)) return undefined;
      const name = basename(path, '.js');
      if (lazyEntries.has(name) && lazyEntries.get(name) !== path) throw new Error(`bundle-dist: two lazily loaded modules named ${name}`);
      lazyEntries.set(name, path);
      return { path: `${LAZY}${name}.js`, external: true };
    });
  },
};
const coreEntryPoints = Object.fromEntries(ENTRY_POINTS.map((entry) => [entry, join(COMPILED, `${entry}.js`)]));

// 1. What the core is: every module the entry points reach without a lazy import().
const coreProbe = await build({ ...common, entryPoints: coreEntryPoints, plugins: [leaveLazyOut] });
const core = inputsOf(coreProbe.metafile);
staticallyLoaded = core;
for (const [name, path] of lazyEntries) if (core.has(path)) lazyEntries.delete(name);
const features = [...lazyEntries.values()].filter((path) => path.includes(`${sep}features${sep}`));
if (features.length < 10) throw new Error(`bundle-dist: found ${features.length} lazily loaded features in ${FEATURE_LOADER}; expected them all`);

// 2. Which core modules the features import, and the names each exports.
const usedCore = new Set();
const coreAsExternal = {
  name: 'core-as-external',
  setup(b) {
    b.onResolve({ filter: /^\./ }, (args) => {
      const path = join(dirname(args.importer), args.path);
      if (!core.has(path)) return undefined;
      usedCore.add(path);
      return { path, external: true };
    });
  },
};
const lazyEntryPoints = Object.fromEntries([...lazyEntries].map(([name, path]) => [`chunks/${name}`, path]));
const lazyProbe = await build({ ...common, entryPoints: lazyEntryPoints, plugins: [coreAsExternal] });
for (const path of inputsOf(lazyProbe.metafile)) if (core.has(path)) throw new Error(`bundle-dist: ${path} would be bundled twice`);
const used = [...usedCore].sort();
// chunks/core.js re-exports them under their own names (export *), so two of those modules may
// export one name only if it is one binding (one re-exports the other's): checked by bundling
// `export { name as alias } from` each and reading which local each alias ends up naming.
const exportsProbe = await build({ ...common, entryPoints: Object.fromEntries(used.map((path, i) => [`m${i}`, path])) });
const exporters = new Map();
for (const output of Object.values(exportsProbe.metafile.outputs)) {
  if (!output.entryPoint) continue;
  for (const name of output.exports) exporters.set(name, [...(exporters.get(name) ?? []), absolute(output.entryPoint)]);
}
if (exporters.has('default')) throw new Error(`bundle-dist: ${exporters.get('default').join(', ')}: a default export cannot pass through chunks/core.js (export *)`);
const shared = [...exporters].filter(([, paths]) => paths.length > 1);
if (shared.length > 0) {
  const probe = shared.flatMap(([name, paths], i) => paths.map((path, j) => `export { ${name} as s${i}_${j} } from ${JSON.stringify(path)};`)).join('\n');
  const { outputFiles } = await build({ ...common, splitting: false, metafile: false, stdin: { contents: probe, resolveDir: COMPILED }, outdir: undefined });
  const clause = outputFiles[0].text.match(/export \{([^}]*)\};\s*$/);
  const local = new Map([...clause[1].matchAll(/(\S+) as (s\d+_\d+)/g)].map((m) => [m[2], m[1]]));
  shared.forEach(([name, paths], i) => {
    if (new Set(paths.map((_, j) => local.get(`s${i}_${j}`))).size !== 1) {
      throw new Error(
        `bundle-dist: ${paths.map((path) => relative(COMPILED, path)).join(' and ')} export different ${name}s, which chunks/core.js cannot both re-export: rename one`,
      );
    }
  });
}
const coreReexports = used.map((path) => `export * from ${JSON.stringify(path)};`).join('\n');
const coreReexportsPlugin = {
  name: 'core-reexports',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^${CORE}$`) }, () => ({ path: CORE, namespace: 'fabric-core' }));
    b.onLoad({ filter: /.*/, namespace: 'fabric-core' }, () => ({ contents: coreReexports, resolveDir: COMPILED, loader: 'js' }));
  },
};

// 3. The core bundle, with chunks/core.js re-exporting what the features use.
const coreBuild = await build({
  ...common,
  entryPoints: { ...coreEntryPoints, 'chunks/core': CORE },
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [leaveLazyOut, coreReexportsPlugin],
});

// 4. The features, importing the core from chunks/core.js.
const lazyBuild = await build({
  ...common,
  entryPoints: lazyEntryPoints,
  chunkNames: 'chunks/lazy-[hash]',
  plugins: [
    {
      name: 'core-from-core-chunk',
      setup(b) {
        b.onResolve({ filter: /^\./ }, (args) => (core.has(join(dirname(args.importer), args.path)) ? { path: './core.js', external: true } : undefined));
      },
    },
  ],
});

// The previous bundle, and the per-file .js of a build from before the bundling: any .js (or
// .js.map) in dist/ but tsc's own in dist/.build and the console's assets.
function removeOldJavaScript(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (path === BUILD || path === join(DIST, 'console')) continue;
    if (statSync(path).isDirectory()) removeOldJavaScript(path);
    else if (name.endsWith('.js') || name.endsWith('.js.map')) rmSync(path);
  }
}
removeOldJavaScript(DIST);
rmSync(join(DIST, 'chunks'), { recursive: true, force: true });
rmSync(join(DIST, '.tsbuildinfo'), { force: true });

const written = [];
for (const file of [...coreBuild.outputFiles, ...lazyBuild.outputFiles]) {
  let text = file.text;
  // A feature's import() from the core: the path of its entry in chunks/, relative to this file.
  text = text.replaceAll(new RegExp(`(["'])${LAZY}([^"']+)\\1`, 'g'), (_, quote, name) => {
    if (!lazyEntries.has(name.replace(/\.js$/, ''))) throw new Error(`bundle-dist: no feature entry for ${name}`);
    const to = relative(dirname(file.path), join(DIST, 'chunks', name))
      .split(sep)
      .join('/');
    return `${quote}${to.startsWith('.') ? to : `./${to}`}${quote}`;
  });
  if (text.includes(CORE) || text.includes(LAZY)) throw new Error(`bundle-dist: a placeholder is left in ${file.path}`);
  // ASCII only: V8 holds a script with a single non-ASCII character as a two-byte string, twice its
  // size, for as long as the app runs (and Node decodes it to UTF-16 first). esbuild escapes strings
  // and identifiers (charset 'ascii'), not the comments it keeps, where `∩` or `—` made the core's two
  // largest chunks and login's cost ~0.5 MiB more heap. `\uXXXX` means the same in any place of JS.
  text = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, text);
  written.push([relative(DIST, file.path).split(sep).join('/'), Buffer.byteLength(text)]);
}
writeFileSync(join(BUILD, 'meta.json'), `${JSON.stringify({ core: coreBuild.metafile, features: lazyBuild.metafile })}\n`);

const total = written.reduce((sum, [, bytes]) => sum + bytes, 0);
const shown = written.filter(([file]) => !file.startsWith('chunks/') || /^chunks\/(chunk|core)/.test(file));
// On stderr: this runs in `prepack`, and `npm pack --json` prints its JSON on stdout.
console.error(
  `library bundle (dist/): ${written.length} files, ${total} B, from ${core.size + inputsOf(lazyBuild.metafile).size} modules; ` +
    `${lazyEntries.size} lazily loaded modules in chunks/<name>.js (${written.filter(([file]) => /^chunks\/lazy-/.test(file)).length} chunks they share)\n` +
    shown.map(([file, bytes]) => `  ${file.padEnd(24)} ${String(bytes).padStart(8)} B`).join('\n'),
);
