#!/usr/bin/env node
// The package's command. A file kept in git rather than dist/cli/main.js itself: npm links a
// bin only if its file exists at install time, and in the workspace dist/ is built after `npm ci`.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('nestjs-fabric-auth: the package is not built yet (run `npm run build` in the workspace)\n');
  process.exit(1);
}
await import(main.href);
