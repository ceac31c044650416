// Import rules of libs/fabric-auth/src (issue 21, item 2), checked by `npm run depcheck` in `npm test`.
// The layers, lowest first; a file may import its own layer and the layers below it, never one above:
//
//   core      constants, errors, clock, ids, principal types, ports, pure helpers
//   options   the options, their validation, the YAML loader
//   schema    entities, the entity list, the table prefix, migrations
//   data      transactions, database errors, audit writer, credential reads, pagination
//   access    the core module: guard, principal, tokens, signing, sessions, limits, accounts, Redis
//   http      the HTTP edge: exception filters, hardening, validation, Swagger, cookies
//   features  features/<name>/: one folder per feature; a feature never imports another feature
//   passport  Passport strategies over the verifiers and features (for apps composing AuthGuard)
//   (root)    index.ts, fabric-auth.module*.ts (façade), fabric-auth.core.ts, fabric-auth.features.ts, cli/, testing/: compose everything
//
// See libs/fabric-auth/ARCHITECTURE.md.
const SRC = '^libs/fabric-auth/src/';
const LAYERS = ['core', 'options', 'schema', 'data', 'access', 'http', 'features', 'passport'];

// Known exceptions: imports allowed to break the rules, each a tie to be broken by a port (see
// ARCHITECTURE.md, "Known exceptions"). Exactly these pairs would be allowed; any other upward or
// cross-feature import fails the check. None are left: issue 21 broke the last ones (ARCHITECTURE.md
// says how); add one only with its reason and the port that will end it.
const KNOWN_EXCEPTIONS = [];

const TIED_FOLDERS = [...new Set(KNOWN_EXCEPTIONS.flat().map((p) => p.replace(/\/[^/]+$/, '')))].map((d) => `${SRC}${d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const file = (p) => `${SRC}${escape(p)}$`;
const exceptionsFrom = (fromRe) => KNOWN_EXCEPTIONS.filter(([f]) => new RegExp(fromRe).test(`libs/fabric-auth/src/${f}`));

/** A forbidden rule, minus the known exceptions that start in its `from`: one extra rule per such file. */
function withExceptions(name, comment, from, to) {
  const known = exceptionsFrom(from.path);
  const sources = [...new Set(known.map(([f]) => f))];
  const base = { name, comment, severity: 'error', from: { ...from, pathNot: [...(from.pathNot ?? []), ...sources.map(file)] }, to };
  const perFile = sources.map((f) => {
    // `$1` in `to` names what `from.path` captured; a per-file rule captures nothing, so fill it in.
    const groups = new RegExp(from.path).exec(`libs/fabric-auth/src/${f}`);
    const fill = (re) => re.replace(/\$(\d)/g, (_, n) => escape(groups[Number(n)]));
    return {
      name,
      comment: `${comment} (known exceptions of ${f} allowed)`,
      severity: 'error',
      from: { path: file(f) },
      to: { path: fill(to.path), pathNot: [...(to.pathNot ?? []).map(fill), ...known.filter(([s]) => s === f).map(([, t]) => file(t))] },
    };
  });
  return [base, ...perFile];
}

const layerRules = LAYERS.slice(0, -1).flatMap((layer, i) =>
  withExceptions(
    `${layer}-imports-nothing-above`,
    `${layer}/ may import ${LAYERS.slice(0, i).concat(layer).join(', ')} only`,
    { path: `${SRC}${layer}/` },
    { path: `${SRC}(${LAYERS.slice(i + 1).join('|')})/` },
  ),
);
// The root files and folders (index.ts, the module, cli/, testing/) compose everything: nothing below imports them.
const rootRule = withExceptions(
  'nothing-imports-the-root',
  'the layers never import index.ts, the module, cli/ or testing/ (compose downwards only)',
  { path: `${SRC}(${LAYERS.join('|')})/` },
  { path: `${SRC}([^/]+\\.ts$|cli/|testing/)` },
);
const featureRule = withExceptions(
  'no-feature-imports-another',
  'a feature reaches another only through a port the core declares',
  { path: `${SRC}features/([^/]+)/` },
  { path: `${SRC}features/`, pathNot: [`${SRC}features/$1/`] },
);

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    ...layerRules,
    ...rootRule,
    ...featureRule,
    {
      name: 'no-circular',
      comment: 'no module imports itself through others at runtime (a loop closed only by `import type`, erased at runtime, is allowed)',
      severity: 'error',
      from: { path: SRC },
      to: { circular: true, dependencyTypesNot: ['type-only'], viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-folder-cycles',
      comment: 'folders never depend on each other both ways; the folders holding either end of a known exception (none today) ' + 'are left out until its tie is broken',
      severity: 'error',
      scope: 'folder',
      from: { path: SRC, pathNot: TIED_FOLDERS },
      to: { circular: true, pathNot: TIED_FOLDERS },
    },
    {
      name: 'no-unresolvable',
      comment: 'every relative import resolves to a file',
      severity: 'error',
      from: { path: SRC },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    includeOnly: SRC,
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
