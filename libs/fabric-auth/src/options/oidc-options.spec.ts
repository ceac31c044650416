import { load as loadYaml } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { fabricAuthOptionsFromTree, readFabricConfigTree } from './fabric-config.loader.js';
import { FabricConfigError } from './fabric-config.error.js';
import { resolveFabricAuthOptions } from './resolve-options.js';

const BASE = 'auth:\n  secret_key: "k3J9-x8Qv_2mZr7Lp4Tn6Wb1Yc5Hd0Fs"\n  system_admin_password: "Adm1n-passw0rd"\n';

function fromYaml(providers: string) {
  return fabricAuthOptionsFromTree(loadYaml(`${BASE}  providers:\n${providers}`) as Record<string, unknown>);
}

function problems(providers: string): string[] {
  try {
    fromYaml(providers);
  } catch (error) {
    if (error instanceof FabricConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a FabricConfigError');
}

const GOOD = `
      issuer: "https://idp.example"
      client_id: "app"
      redirect_uri: "https://app.example/api/v1/auth/oidc/callback"`;

describe('auth.providers (OIDC single sign-on options)', () => {
  it('reads the default provider and named ones, with defaults', () => {
    const options = fromYaml(`    oidc:${GOOD}
      client_secret: "s3cret"
      jit_provisioning: true
    keycloak:
      type: oidc
      issuer: "http://localhost:8080/realms/demo"
      client_id: "demo"
      redirect_uri: "http://localhost:3000/api/v1/auth/oidc/keycloak/callback"
      scopes: [openid, email, profile, groups]
      default_roles: [viewer]
      link_verified_email: true
      role_claim: groups
      role_mapping: { admins: [user_admin, auditor] }
`);
    expect(options.providers.oidc).toEqual({
      type: 'oidc',
      issuer: 'https://idp.example',
      clientId: 'app',
      clientSecret: 's3cret',
      redirectUri: 'https://app.example/api/v1/auth/oidc/callback',
      jitProvisioning: true,
      scopes: ['openid', 'email', 'profile'],
      defaultRoles: [],
      linkVerifiedEmail: false,
      roleMapping: {},
      mfa: 'idp_amr',
      jwksCooldown: 30,
    });
    expect(options.providers.keycloak).toMatchObject({
      type: 'oidc',
      jitProvisioning: false,
      scopes: ['openid', 'email', 'profile', 'groups'],
      defaultRoles: ['viewer'],
      linkVerifiedEmail: true,
      roleClaim: 'groups',
      roleMapping: { admins: ['user_admin', 'auditor'] },
    });
  });

  it('a named provider without type is an oidc one', () => {
    expect(fromYaml(`    google:${GOOD}`).providers.google?.type).toBe('oidc');
  });

  it('reads auth.sso.error_url: a path or an http(s) URL', () => {
    const tree = (errorUrl: string) => loadYaml(`${BASE}  sso:\n    error_url: "${errorUrl}"\n`) as Record<string, unknown>;
    expect(fabricAuthOptionsFromTree(tree('/sign-in/problem')).sso).toEqual({ errorUrl: '/sign-in/problem' });
    expect(fabricAuthOptionsFromTree(tree('https://app.example/sso-error?from=sso')).sso).toEqual({ errorUrl: 'https://app.example/sso-error?from=sso' });
    for (const bad of ['//evil.example/x', 'javascript:alert(1)', 'sign-in', '/x#frag', '/a b']) {
      expect(() => fabricAuthOptionsFromTree(tree(bad)), bad).toThrow(/auth\.sso\.error_url: must/);
    }
    expect(() => fabricAuthOptionsFromTree(loadYaml(`${BASE}  sso:\n    eror_url: "/x"\n`) as Record<string, unknown>)).toThrow(/auth\.sso\.eror_url: unknown key/);
  });

  it('defaults to no provider', () => {
    expect(fabricAuthOptionsFromTree(loadYaml(BASE) as Record<string, unknown>).providers).toEqual({});
  });

  it.each([
    ['another provider type', `    corp:${GOOD}\n      type: ldap`, 'auth.providers.corp.type: must be "oidc" or "saml"'],
    ['a malformed provider name', `    My_IdP!:${GOOD}\n      type: oidc`, 'auth.providers.My_IdP!: provider names are lowercase'],
    ['a misspelt key', `    oidc:${GOOD}\n      client_secrte: x`, 'auth.providers.oidc.client_secrte: unknown key'],
    ['a missing redirect_uri', '    oidc:\n      issuer: "https://idp.example"\n      client_id: app', 'auth.providers.oidc.redirect_uri: is required'],
    [
      'a plain-http issuer on another host',
      '    oidc:\n      issuer: "http://idp.example"\n      client_id: app\n      redirect_uri: "https://app.example/cb"',
      'auth.providers.oidc.issuer: must be an https URL (http only on localhost)',
    ],
    [
      'an issuer that is no URL',
      '    oidc:\n      issuer: "idp.example"\n      client_id: app\n      redirect_uri: "https://app.example/cb"',
      'auth.providers.oidc.issuer: must be an absolute URL',
    ],
    [
      'a redirect_uri with a query',
      '    oidc:\n      issuer: "https://idp.example"\n      client_id: app\n      redirect_uri: "https://app.example/cb?x=1"',
      'auth.providers.oidc.redirect_uri: must not have a query or fragment',
    ],
    ['scopes without openid', `    oidc:${GOOD}\n      scopes: [email, profile]`, 'auth.providers.oidc.scopes: must include openid'],
    ['a bad default role name', `    oidc:${GOOD}\n      default_roles: [Admins]`, 'auth.providers.oidc.default_roles: "Admins" is not a role name'],
    ['a role mapping without role_claim', `    oidc:${GOOD}\n      role_mapping: { admins: [auditor] }`, 'auth.providers.oidc.role_mapping: needs role_claim'],
    [
      'a role mapping to a non-list',
      `    oidc:${GOOD}\n      role_claim: groups\n      role_mapping: { admins: auditor }`,
      'auth.providers.oidc.role_mapping: admins: must be a list of role names',
    ],
    ['a non-boolean flag', `    oidc:${GOOD}\n      jit_provisioning: "yes"`, 'auth.providers.oidc.jit_provisioning: must be true or false'],
    ['a provider that is not a mapping', '    oidc: "https://idp.example"', 'auth.providers.oidc: must be a mapping'],
  ])('refuses %s, naming the key', (_, yaml, message) => {
    expect(problems(yaml)).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
  });

  it('takes providers from FABRIC_AUTH__PROVIDERS as JSON', () => {
    const tree = readFabricConfigTree({
      env: {
        FABRIC_AUTH__SECRET_KEY: 'k3J9-x8Qv_2mZr7Lp4Tn6Wb1Yc5Hd0Fs',
        FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: 'Adm1n-passw0rd',
        FABRIC_AUTH__PROVIDERS: '{"oidc": {"issuer": "https://idp.example", "client_id": "app", "redirect_uri": "https://app.example/cb"}}',
      },
    });
    expect(fabricAuthOptionsFromTree(tree).providers.oidc).toMatchObject({ type: 'oidc', clientId: 'app' });
  });

  it('forRoot takes camelCase keys, and resolving resolved options changes nothing', () => {
    const once = resolveFabricAuthOptions({
      secretKey: 'k3J9-x8Qv_2mZr7Lp4Tn6Wb1Yc5Hd0Fs',
      systemAdminPassword: 'Adm1n-passw0rd',
      providers: { oidc: { issuer: 'https://idp.example', clientId: 'app', redirectUri: 'https://app.example/cb', jitProvisioning: true } },
    });
    expect(resolveFabricAuthOptions(once)).toEqual(once);
    expect(once.providers.oidc?.jitProvisioning).toBe(true);
  });
});
