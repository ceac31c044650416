import { Controller, Get, UseGuards } from '@nestjs/common';
import { FabricGuard, OrgScoped, RequirePermission } from 'nestjs-fabric-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, type TestApp } from '../support/test-app.js';
import { auth, orgWithOwner, startOrgApp } from './org-app.js';

/** A host route that only an organization's member managers may call, in that organization. */
@Controller('org-admin-probe')
@UseGuards(FabricGuard)
@OrgScoped()
class OrgAdminProbeController {
  @Get()
  @RequirePermission('org:members:manage')
  read(): { ok: true } {
    return { ok: true };
  }
}

@Controller('misplaced-probe')
@UseGuards(FabricGuard)
class MisplacedProbeController {
  @Get()
  @RequirePermission('org:manage')
  read(): { ok: true } {
    return { ok: true };
  }
}

describe('organization permissions on the host’s routes', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startOrgApp('sqlite/express', {}, [OrgAdminProbeController]);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const inOrg = async (token: string, organization: string) =>
    (await t.http.post(`${API}/auth/token`).set(auth(token)).type('form').send({ grant_type: 'organization', organization })).body.access_token as string;

  it('an @OrgScoped() route may require org:members:manage: the owner passes, a plain member gets 403', async () => {
    const { slug, owner } = await orgWithOwner(t, admin);
    const member = await t.actor();
    expect(
      (
        await t.http
          .post(`${API}/orgs/${slug}/members`)
          .set(auth(admin))
          .send({ username: member.user.username, roles: ['member'] })
      ).status,
    ).toBe(201);
    expect((await t.http.get('/org-admin-probe').set(auth(await inOrg(owner.token, slug)))).status).toBe(200);
    expect((await t.http.get('/org-admin-probe').set(auth(await inOrg(member.token, slug)))).status).toBe(403);
  });

  it('an organization permission on a route that is not org-scoped stops startup, naming the route', async () => {
    await expect(startOrgApp('sqlite/express', {}, [MisplacedProbeController])).rejects.toThrow(
      /MisplacedProbeController\.read: @RequirePermission\("org:manage"\) names an organization permission: the route needs @OrgScoped\(\)/,
    );
  });
});
