import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'fabric-feature-loading-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * The files a fresh process running the built package loaded, for one `features` choice (and
 * `openApi=false`), and the entities its DataSource registered (`autoLoadEntities`).
 */
async function startedApp(features: string, ...more: string[]): Promise<{ files: string[]; entities: string[] }> {
  const log = join(scratch, `${[features.replace(/,/g, '+'), ...more].join('-')}.log`);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', join(FIXTURES, 'record-loads-register.mjs'), join(FIXTURES, 'features-app.mjs'), features, ...more],
      { env: { PATH: process.env.PATH, FABRIC_LOAD_LOG: log, NO_COLOR: '1' }, timeout: 60_000 },
      (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
    );
  });
  expect(stdout).toContain('listening');
  const entities = /^entities: (.*)$/m.exec(stdout)?.[1].split(',') ?? [];
  return { files: readFileSync(log, 'utf8').trim().split('\n'), entities };
}
const loadedFiles = async (features: string, ...more: string[]) => (await startedApp(features, ...more)).files;

/**
 * The services a host app calls that the root entry exports (`import { PruningService } from
 * 'nestjs-fabric-auth'`): their files load with the package whatever is enabled, though a left-out
 * feature registers none of them. Each imports only the core (its DTO imports are type-only).
 */
const EXPORTED_BY_THE_ROOT = ['users/user-management.service.js', 'service-accounts/service-accounts.service.js', 'maintenance/pruning.service.js'];
/**
 * dist/ is bundled (libs/fabric-auth/scripts/bundle-dist.mjs): the modules a loaded file holds are
 * in the bundle's metafiles, as tsc's per-module output (`dist/.build/js/features/login/…`).
 */
const BUNDLE = JSON.parse(readFileSync(fileURLToPath(new URL('../../libs/fabric-auth/dist/.build/meta.json', import.meta.url)), 'utf8')) as Record<
  'core' | 'features',
  { outputs: Record<string, { inputs: Record<string, unknown> }> }
>;
function modulesOf(files: string[]): string[] {
  return files
    .filter((f) => f.includes('/fabric-auth/dist/') && !f.includes('/fabric-auth/dist/console/'))
    .flatMap((f) => {
      const output = `dist/${f.slice(f.lastIndexOf('/fabric-auth/dist/') + '/fabric-auth/dist/'.length)}`;
      const inputs = BUNDLE.core.outputs[output]?.inputs ?? BUNDLE.features.outputs[output]?.inputs;
      if (!inputs) throw new Error(`${f} is in no output of the bundle's metafiles`);
      return Object.keys(inputs);
    });
}
const ofFeature = (files: string[], feature: string) =>
  modulesOf(files).filter((m) => m.includes(`/features/${feature}/`) && !EXPORTED_BY_THE_ROOT.some((e) => m.endsWith(`/features/${e}`)));
const ofPackage = (files: string[], pkg: string) => files.filter((f) => f.includes(`/node_modules/${pkg}/`));

describe('what is not enabled is not loaded (the built package in a fresh process)', () => {
  it('login only: no file of another feature, no WebAuthn or OpenID client library', async () => {
    const files = await loadedFiles('login');
    expect(ofFeature(files, 'login').length).toBeGreaterThan(0);
    for (const feature of ['users', 'mfa', 'oidc', 'roles', 'audit', 'api-keys', 'service-accounts', 'signing-keys', 'maintenance']) {
      expect(ofFeature(files, feature), feature).toEqual([]);
    }
    expect(ofPackage(files, '@simplewebauthn/server')).toEqual([]);
    expect(ofPackage(files, 'openid-client')).toEqual([]);
  });

  it("login only: the DataSource builds no metadata for other features' entities, and class-transformer's index is not imported", async () => {
    const { files, entities } = await startedApp('login', 'openApi=false');
    expect(entities).toContain('UserEntity');
    expect(entities).toContain('OrganizationEntity');
    for (const entity of ['OrganizationMemberEntity', 'ScimUserEntity', 'WebhookEndpointEntity', 'EventOutboxEntity', 'SamlUsedAssertionEntity', 'OidcLogoutTokenEntity']) {
      expect(entities, entity).not.toContain(entity);
    }
    expect(files.filter((f) => f.endsWith('/node_modules/class-transformer/cjs/index.js'))).toEqual([]);
  });

  it("an enabled feature's entities are registered with it", async () => {
    const { entities } = await startedApp('every', 'openApi=false');
    for (const entity of ['OrganizationMemberEntity', 'OrganizationMemberRoleEntity', 'OidcLogoutTokenEntity']) expect(entities, entity).toContain(entity);
    expect(entities).not.toContain('ScimUserEntity');
  });

  it('every feature by default: each feature folder loads, and the libraries they need', async () => {
    const files = await loadedFiles('all');
    for (const feature of ['login', 'users', 'mfa', 'oidc', 'roles', 'audit', 'api-keys', 'service-accounts', 'signing-keys', 'maintenance']) {
      expect(ofFeature(files, feature).length, feature).toBeGreaterThan(0);
    }
    expect(ofPackage(files, '@simplewebauthn/server').length).toBeGreaterThan(0);
    expect(ofPackage(files, 'openid-client').length).toBeGreaterThan(0);
  });

  it("every feature: each of the library's files that loads is ASCII only (V8 holds one with a single other character as UTF-16, twice its size)", async () => {
    const files = (await loadedFiles('all')).filter((f) => f.includes('/fabric-auth/dist/'));
    expect(files.length).toBeGreaterThan(10);
    const notAscii = files.filter((f) => /[^\x00-\x7f]/.test(readFileSync(fileURLToPath(f), 'utf8')));
    expect(notAscii).toEqual([]);
  });

  it('openApi: false: no file of @nestjs/swagger, nor of es-toolkit that it brings, with every feature', async () => {
    const files = await loadedFiles('every', 'openApi=false');
    expect(ofFeature(files, 'organizations').length).toBeGreaterThan(0);
    expect(ofPackage(files, '@nestjs/swagger')).toEqual([]);
    expect(ofPackage(files, 'es-toolkit')).toEqual([]);
  });

  it('by default @nestjs/swagger loads (with es-toolkit), to document the routes', async () => {
    const files = await loadedFiles('login');
    expect(ofPackage(files, '@nestjs/swagger').length).toBeGreaterThan(0);
    expect(ofPackage(files, 'es-toolkit').length).toBeGreaterThan(0);
  });
});
