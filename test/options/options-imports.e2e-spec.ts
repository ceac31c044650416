import { expect, it } from 'vitest';

// The options sit below everything else: checking a configuration (the CLI, a config test, the
// table prefix) must not load the entities, whose decorators fill TypeORM's process-wide metadata.
// This file lives outside src/ because it loads the entity list afterwards, to show that the probe
// does see an entity load; inside src/ that import would be options/ reaching up into schema/.
it('loads no entity when the options, their validation and the YAML loader are imported', async () => {
  await import('../../libs/fabric-auth/src/options/resolve-options.js');
  await import('../../libs/fabric-auth/src/options/fabric-config.loader.js');
  expect('typeormMetadataArgsStorage' in globalThis).toBe(false);
  await import('../../libs/fabric-auth/src/schema/entities.js');
  expect('typeormMetadataArgsStorage' in globalThis).toBe(true);
});
