import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests run the library from source, exactly as the demo imports it.
    alias: [
      { find: /^nestjs-fabric-auth$/, replacement: fileURLToPath(new URL('./libs/fabric-auth/src/index.ts', import.meta.url)) },
      { find: /^nestjs-fabric-auth\/entities$/, replacement: fileURLToPath(new URL('./libs/fabric-auth/src/entities.ts', import.meta.url)) },
      { find: /^nestjs-fabric-auth\/migrations$/, replacement: fileURLToPath(new URL('./libs/fabric-auth/src/migrations.ts', import.meta.url)) },
      { find: /^nestjs-fabric-auth\/testing$/, replacement: fileURLToPath(new URL('./libs/fabric-auth/src/testing/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['libs/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    restoreMocks: true,
  },
});
