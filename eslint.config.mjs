// Lint for the library, the demo, the tests, the bench and the scripts (`npm run lint`, part of `npm test`).
// The base is the untyped `recommended` sets. On top, the type-aware rules that catch bugs: a promise
// nobody awaits or handles, a promise passed where a callback's result is ignored, awaiting a
// non-promise, throwing a non-Error; and an `as` or `!` that changes no type, so that the
// assertions left are the ones to read. Type information costs most of lint's time (about 7 s of CPU
// without it, about 30-35 s with it on this 2-core machine) and is kept for those rules.
// Not on from `recommendedTypeChecked`: the no-unsafe-* family (about 750 findings, nearly all reading
// supertest's `any` response bodies in tests or raw driver rows in the library), no-base-to-string
// (String() of driver values typed `unknown`), require-await (in-memory implementations of async
// ports).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The Node globals the plain JavaScript files use (TypeScript files get them from @types/node). */
const NODE_GLOBALS = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'URLSearchParams',
    'fetch',
    'performance',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'AbortController',
    'AbortSignal',
  ].map((name) => [name, 'readonly']),
);

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'data/**', 'coverage/**', 'test-artifacts/**', '.bench/**'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // Input checks refuse control characters on purpose (header values, claim paths, return URLs).
      'no-control-regex': 'off',
      // Prettier owns line breaks, and breaks `(x as any)[name](…)` chains before the `[`; with semicolons always written
      // there is no ASI trap for this rule to catch (eslint-config-prettier turns it off for the same reason).
      'no-unexpected-multiline': 'off',
      // `_name` marks a parameter an interface requires but this implementation does not read, as tsc's noUnusedParameters accepts.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: ['./tsconfig.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/no-implied-eval': 'error',
      '@typescript-eslint/no-for-in-array': 'error',
      '@typescript-eslint/no-array-delete': 'error',
      '@typescript-eslint/restrict-template-expressions': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
    },
  },
  {
    // The admin console runs in the browser: its own project (DOM types, Preact's JSX).
    files: ['libs/fabric-auth/console/**/*.ts', 'libs/fabric-auth/console/**/*.tsx'],
    languageOptions: { parserOptions: { project: ['./libs/fabric-auth/console/tsconfig.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
    },
  },
  {
    files: ['libs/fabric-auth/src/**/*.ts'],
    // What the library loads at startup; its unit specs load what they like.
    ignores: ['**/*.spec.ts'],
    rules: {
      // @nestjs/swagger loads only when the host documents the library's routes (`openApi`, issue 21 item 1).
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@nestjs/swagger', allowTypeImports: true, message: "Use the deferred decorators of core/open-api.ts; only `import type` from '@nestjs/swagger'." },
            // Its index loads every decorator it has, validator.js whole and libphonenumber-js (~80 ms, ~8 MiB at startup).
            { name: 'class-validator', allowTypeImports: true, message: "Use core/class-validator.ts (add the decorator there); only `import type` from 'class-validator'." },
            // Imported from ESM, its index has Node lex every file it re-exports (~10 ms at startup).
            { name: 'class-transformer', allowTypeImports: true, message: "Use core/class-transformer.ts (add the decorator there); only `import type` from 'class-transformer'." },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Table-driven suites call supertest's verbs by name (`(t.http as any)[method](url)`).
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: NODE_GLOBALS },
  },
  {
    // CommonJS where only CommonJS will do: a `--require` preload.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...NODE_GLOBALS, require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
