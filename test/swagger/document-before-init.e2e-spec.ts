import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const APP = fileURLToPath(new URL('./fixtures/document-app.mjs', import.meta.url));

type Document = {
  paths: Record<string, Record<string, { summary?: string; security?: Array<Record<string, string[]>> }>>;
  components: { schemas?: Record<string, { properties?: Record<string, unknown> }> };
};

/** The document a host app on the built package writes before `init()`, in a fresh process (@nestjs/swagger not loaded yet). */
function documentOf(mode: 'create' | 'preview'): Promise<Document> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [APP, mode], { env: { PATH: process.env.PATH, NO_COLOR: '1' }, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, out, err) =>
      error ? reject(new Error(`${error.message}\n${err}`)) : resolve(JSON.parse(out) as Document),
    );
  });
}

// The library's decorators apply once @nestjs/swagger has loaded, which Nest awaits while it scans the
// modules: a document made right after NestFactory.create, even in preview mode, already has them.
describe.each(['create', 'preview'] as const)('SwaggerModule.createDocument before init(), NestFactory %s', (mode) => {
  it("documents the library's routes and schemas, and ApiFabricAuth() on the host's route", async () => {
    const doc = await documentOf(mode);
    expect(doc.paths['/api/v1/auth/token'].post.summary).toMatch(/\w{3}/);
    expect(Object.keys(doc.components.schemas?.TokenResponseDto?.properties ?? {})).toContain('access_token');
    expect(Object.keys(doc.components.schemas?.UpdateUserDto?.properties ?? {})).toEqual(['username', 'email', 'full_name', 'roles', 'current_password']);
    expect(doc.paths['/host/reports'].get.security).toEqual([{ bearer: [] }, { oauth2: [] }, { api_key: [] }]);
  });
});
