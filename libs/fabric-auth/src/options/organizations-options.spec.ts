import { load as loadYaml } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { fabricAuthOptionsFromTree } from './fabric-config.loader.js';
import { FabricConfigError } from './fabric-config.error.js';
import { ORG_PERMISSIONS } from './organizations.options.js';
import { resolveFabricAuthOptions } from './resolve-options.js';

const SECRETS = { secretKey: 'k3J9-x8Qv_2mZr7Lp4Tn6Wb1Yc5Hd0Fs', systemAdminPassword: 'Adm1n-passw0rd' };
const BASE = 'auth:\n  secret_key: "k3J9-x8Qv_2mZr7Lp4Tn6Wb1Yc5Hd0Fs"\n  system_admin_password: "Adm1n-passw0rd"\n  permissions: [billing:read]\n';

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof FabricConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a FabricConfigError');
}

const fromYaml = (organizations: string) => fabricAuthOptionsFromTree(loadYaml(`${BASE}  organizations:\n${organizations}`) as Record<string, unknown>);

describe('auth.organizations', () => {
  it('is off by default, with the owner/admin/member template', () => {
    const { organizations } = resolveFabricAuthOptions(SECRETS);
    expect(organizations).toEqual({
      enabled: false,
      selfService: false,
      roles: { owner: [...ORG_PERMISSIONS].sort(), admin: ['org:audit:read', 'org:members:manage', 'org:roles:manage', 'org:service-accounts:manage'], member: [] },
      invitationExpire: 604_800,
      autoJoinDomains: false,
      ssoConnections: false,
      ssoConnectionsPrivateNetworks: false,
    });
  });

  it('reads the YAML keys; a template replaces the default one and may name the app’s permissions', () => {
    const options = fromYaml(`    enabled: true
    self_service: true
    invitation_expire: 3600
    auto_join_domains: true
    sso_connections: true
    roles:
      owner: [org:manage, org:members:manage, org:roles:manage, org:audit:read, org:service-accounts:manage, billing:read]
      member: [billing:read, billing:read]`);
    expect(options.organizations).toEqual({
      enabled: true,
      selfService: true,
      invitationExpire: 3600,
      autoJoinDomains: true,
      ssoConnections: true,
      ssoConnectionsPrivateNetworks: false,
      roles: { owner: [...ORG_PERMISSIONS, 'billing:read'].sort(), member: ['billing:read'] },
    });
  });

  it('refuses bad values at startup, each with its path', () => {
    expect(problemsOf(() => fromYaml('    enabled: "yes"\n    invitation_expire: 10\n    colour: blue'))).toEqual([
      'auth.organizations.colour: unknown key',
      'auth.organizations.enabled: must be true or false',
      'auth.organizations.invitation_expire: must be an integer between 300 and 2592000',
    ]);
    expect(problemsOf(() => fromYaml('    roles:\n      admin: [org:manage]'))).toEqual([
      'auth.organizations.roles: must name the owner role',
      'auth.organizations.roles: must name the member role',
    ]);
    expect(problemsOf(() => fromYaml('    roles:\n      owner: [org:manage]\n      member: [users:list, reports:read, "org:*"]\n      Bad: []'))).toEqual([
      // users:list and reports:read are well-formed: whether an org role may hold them is decided at
      // startup, once the app's permissions are registered (test/organizations: the template check).
      'auth.organizations.roles.member: "org:*" is neither an organization permission (org:manage, org:members:manage, org:roles:manage, org:audit:read, org:service-accounts:manage) nor a permission name',
      'auth.organizations.roles.Bad: role names are lowercase letters, digits, . _ - (at most 64)',
      'auth.organizations.roles.owner: must hold every organization permission (missing org:members:manage, org:roles:manage, org:audit:read, org:service-accounts:manage)',
    ]);
    expect(problemsOf(() => resolveFabricAuthOptions({ ...SECRETS, organizations: 'on' as never }))).toEqual(['auth.organizations: must be a mapping']);
  });
});
