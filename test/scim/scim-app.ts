import type { FabricAuthFeatureName, FabricAuthOptions } from 'nestjs-fabric-auth';
import { DEFAULT_FEATURE_NAMES } from '../../libs/fabric-auth/src/fabric-auth.features.js';
import { API, startTestApp, type TestApp, type TestTarget, TEST_OPTIONS } from '../support/test-app.js';
import { ORG_TEST_ROLES } from '../organizations/org-app.js';

export const SCIM = `${API}/scim/v2`;
export const SCIM_JSON = 'application/scim+json';
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** A test app with SCIM on, single-tenant (the platform's tokens) or with organizations. */
export function startScimApp(
  target: TestTarget,
  settings: { organizations?: boolean; options?: Partial<FabricAuthOptions>; moreFeatures?: readonly FabricAuthFeatureName[] } = {},
): Promise<TestApp> {
  const features = [...DEFAULT_FEATURE_NAMES, ...(settings.organizations ? (['organizations'] as const) : []), 'scim' as const, ...(settings.moreFeatures ?? [])];
  return startTestApp(target, {
    options: {
      roles: { ...(settings.organizations ? ORG_TEST_ROLES : TEST_OPTIONS.roles), scim_admin: ['scim:manage'] },
      ...settings.options,
      ...(settings.organizations && { organizations: { enabled: true, ...settings.options?.organizations } }),
      scim: { enabled: true, ...settings.options?.scim },
    },
    features,
  });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A platform SCIM token made by the system admin (organizations off). */
export async function platformToken(t: TestApp, admin: string, name = 'idp'): Promise<{ id: string; key: string }> {
  const created = await t.http.post(`${API}/scim-tokens`).set(bearer(admin)).send({ name });
  if (created.status !== 201) throw new Error(`SCIM token not created: ${created.status} ${JSON.stringify(created.body)}`);
  return { id: created.body.id as string, key: created.body.key as string };
}

/** An organization's SCIM token made by its owner. */
export async function orgToken(t: TestApp, org: string, ownerToken: string, name = 'idp'): Promise<{ id: string; key: string }> {
  const created = await t.http.post(`${API}/orgs/${org}/scim-tokens`).set(bearer(ownerToken)).send({ name });
  if (created.status !== 201) throw new Error(`SCIM token not created: ${created.status} ${JSON.stringify(created.body)}`);
  return { id: created.body.id as string, key: created.body.key as string };
}
