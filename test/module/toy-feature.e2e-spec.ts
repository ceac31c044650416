import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { fabricAuthMigrations } from 'nestjs-fabric-auth/migrations';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { SignOutHooks } from '../../libs/fabric-auth/src/core/ports/sign-out-hook.js';
import { FABRIC_AUTH_FEATURES, type FabricAuthFeature } from '../../libs/fabric-auth/src/fabric-auth.features.js';
import { FabricAuthConfigurableModule } from '../../libs/fabric-auth/src/fabric-auth.module-definition.js';
import { composeFabricAuth } from '../../libs/fabric-auth/src/fabric-auth.module.js';
import { ADMIN_PASSWORD, API, TEST_OPTIONS } from '../support/test-app.js';
import { ToySignOuts } from './toy-feature/toy-sign-outs.js';

/**
 * ARCHITECTURE.md's "To add a feature", tried: a folder (./toy-feature: a controller, a service,
 * `ToyFeatureModule.register(mount)`), an entry in the feature list that hooks into a list port
 * of the core (`SignOutHooks`), and nothing else edited.
 */
const TOY: FabricAuthFeature = {
  name: 'toy',
  module: class FabricToyModule {},
  hooksInto: [SignOutHooks],
  load: async (mount) => (await import('./toy-feature/toy.module.js')).ToyFeatureModule.register(mount),
};
const CATALOGUE = [...FABRIC_AUTH_FEATURES, TOY];

let app: INestApplication | undefined;
afterEach(() => app?.close());

async function start(features: string[]) {
  const options = { ...TEST_OPTIONS, permissions: [...(TEST_OPTIONS.permissions ?? []), 'toy:read'], roles: { ...TEST_OPTIONS.roles, toy_reader: ['toy:read'] } };
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', autoLoadEntities: true, migrations: fabricAuthMigrations('better-sqlite3'), migrationsRun: true }),
      composeFabricAuth(FabricAuthConfigurableModule.forRoot(options), { features: features as never }, CATALOGUE),
    ],
  }).compile();
  app = moduleRef.createNestApplication({ logger: ['error'] });
  await app.init();
  const http = request(app.getHttpServer());
  const token = async (username: string, password: string) => {
    const res = await http.post(`${API}/auth/token`).type('form').send({ grant_type: 'password', username, password });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  };
  return { http, token, app };
}

describe('a feature of its own, added through the feature list', () => {
  it('mounts its routes under the prefix, behind the core guard and a permission of its own', async () => {
    const { http, token } = await start(['login', 'users', 'toy']);
    const admin = await token('admin', ADMIN_PASSWORD);
    expect((await http.get(`${API}/toy/greeting`)).status).toBe(401);
    const created = await http
      .post(`${API}/users`)
      .set('authorization', `Bearer ${admin}`)
      .send({ username: 'toyfan', email: 'toyfan@example.test', password: 'Toy-fan-passw0rd-1', roles: ['toy_reader'] });
    expect(created.status).toBe(201);
    const plain = await http
      .post(`${API}/users`)
      .set('authorization', `Bearer ${admin}`)
      .send({ username: 'plain', email: 'plain@example.test', password: 'Plain-passw0rd-12', roles: ['viewer'] });
    expect(plain.status).toBe(201);
    expect((await http.get(`${API}/toy/greeting`).set('authorization', `Bearer ${await token('plain', 'Plain-passw0rd-12')}`)).status).toBe(403);
    const fan = await http.get(`${API}/toy/greeting`).set('authorization', `Bearer ${await token('toyfan', 'Toy-fan-passw0rd-1')}`);
    expect(fan.status).toBe(200);
    expect(fan.body).toEqual({ hello: 'toyfan', signOutsSeen: 0 });
  });

  it('gets its entry into the core’s SignOutHooks: login’s logout calls it, after the session is revoked', async () => {
    const { http, token, app: running } = await start(['login', 'toy']);
    const admin = await token('admin', ADMIN_PASSWORD);
    const out = await http.post(`${API}/auth/logout`).set('authorization', `Bearer ${admin}`).send({});
    expect(out.status).toBeLessThan(300);
    const toy = running.get(ToySignOuts);
    expect(toy.count).toBe(1);
    expect(toy.lastSessionWasLive).toBe(false);
  });

  it('left out, it registers nothing: no route, no provider', async () => {
    const { http, token, app: running } = await start(['login']);
    const admin = await token('admin', ADMIN_PASSWORD);
    expect((await http.get(`${API}/toy/greeting`).set('authorization', `Bearer ${admin}`)).status).toBe(404);
    expect(() => running.get(ToySignOuts)).toThrow();
  });
});
