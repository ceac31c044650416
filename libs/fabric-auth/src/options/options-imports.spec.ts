import { expect, it } from 'vitest';

// The options sit below everything else: checking a configuration (the CLI, a config test, the
// table prefix) must not load the entities, whose decorators fill TypeORM's process-wide metadata.
it('loads no entity when the options, their validation and the YAML loader are imported', async () => {
  await import('./resolve-options.js');
  await import('./fabric-config.loader.js');
  expect('typeormMetadataArgsStorage' in globalThis).toBe(false);
  await import('../schema/entities.js');
  expect('typeormMetadataArgsStorage' in globalThis).toBe(true);
});
