import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A reader of a package's exports from the files that define them, instead of its index: some
 * indexes load (or have Node lex) far more than the library uses, at every startup. A file read
 * this way is the same module instance the index re-exports (so an app importing the index shares
 * its state, e.g. a metadata storage); a release that moved a file or an export falls back to the
 * index.
 *
 * `index` is the caller's own `() => require('<package>')`, not the package's name: the literal
 * require keeps the dependency visible in dist/ (test/package/manifest checks that each dependency
 * is imported somewhere), and the index is read only when a file is missing.
 *
 * @param directory where the package keeps its defining files, e.g. `class-validator/cjs`
 */
export function definingFiles<Api extends object>(directory: string, index: () => Api) {
  return <K extends keyof Api>(file: string, name: K): Api[K] => {
    try {
      const found = (require(`${directory}/${file}.js`) as Partial<Api>)[name];
      if (found) return found;
    } catch {
      // Not at that path in this release: the index has it.
    }
    return index()[name];
  };
}
