import { load as loadYaml } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { fabricAuthOptionsFromTree } from './fabric-config.loader.js';
import { FabricConfigError } from './fabric-config.error.js';
import { resolveFabricAuthOptions } from './resolve-options.js';

const BASE = 'auth:\n  secret_key: "k3J9-x8Qv_2mZr7Lp4Tn6Wb1Yc5Hd0Fs"\n  system_admin_password: "Adm1n-passw0rd"\n';
const ISSUER = '  trusted_issuers:\n    - issuer: "https://idp.example/realms/corp"\n      audience: "https://api.example"\n      algorithms: [RS256]\n';
const PROVIDER = '  providers:\n    oidc:\n      issuer: "https://idp.example"\n      client_id: "app"\n      redirect_uri: "https://app.example/cb"\n';

function resolve(yaml: string) {
  return fabricAuthOptionsFromTree(loadYaml(`${BASE}${yaml}`) as Record<string, unknown>);
}

function problems(yaml: string): string[] {
  try {
    resolve(yaml);
  } catch (error) {
    if (error instanceof FabricConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a FabricConfigError');
}

describe('claim paths, token types and audiences of other issuers (SPEC §13)', () => {
  it('reads the defaults: one audience as a list, the access token types, no azp allowlist', () => {
    expect(resolve(ISSUER).trustedIssuers[0]).toEqual({
      issuer: 'https://idp.example/realms/corp',
      audience: ['https://api.example'],
      algorithms: ['RS256'],
      subjectClaim: 'sub',
      roleMapping: {},
      link: 'none',
      jwksCooldown: 30,
      tokenTypes: ['at+jwt', 'Bearer', 'JWT'],
    });
  });

  it('takes several audiences, token types, authorized parties, and claim paths in both forms', () => {
    const issuer = resolve(
      `${ISSUER.replace('audience: "https://api.example"', 'audience: ["api://reports", "0d4c1f2a-5b6e"]')}` +
        '      token_types: [at+jwt]\n      authorized_parties: [web-app]\n' +
        '      roles_claim: [resource_access, reports.app, roles]\n      subject_claim: oid\n',
    ).trustedIssuers[0];
    expect(issuer).toMatchObject({
      audience: ['api://reports', '0d4c1f2a-5b6e'],
      tokenTypes: ['at+jwt'],
      authorizedParties: ['web-app'],
      rolesClaim: ['resource_access', 'reports.app', 'roles'],
      subjectClaim: 'oid',
    });
    // Resolving resolved options changes nothing (forRoot may be given either).
    const once = resolveFabricAuthOptions({ secretKey: 'k3J9-x8Qv_2mZr7Lp4Tn6Wb1Yc5Hd0Fs', systemAdminPassword: 'Adm1n-passw0rd', trustedIssuers: [issuer] });
    expect(resolveFabricAuthOptions(once).trustedIssuers).toEqual(once.trustedIssuers);
  });

  it('SSO role_claim: a dotted path, a list of segments, or a namespaced claim URL', () => {
    for (const claim of ['realm_access.roles', '[resource_access, "reports.app", roles]', '"https://example.com/roles"', '["https://example.com/roles"]']) {
      expect(() => resolve(`${PROVIDER}      role_claim: ${claim}\n`), claim).not.toThrow();
    }
  });

  it.each([
    ['an empty segment', 'realm_access..roles', 'has an empty segment'],
    ['a trailing dot', 'realm_access.roles.', 'has an empty segment'],
    ['an empty list', '[]', 'must have 1 to 8 segments'],
    ['an empty segment in a list', '[resource_access, "", roles]', 'has an empty segment'],
    ['a path into a claim that is never an object', 'sub.roles', '"sub" is never an object'],
    ['a path into email', '[email, domain]', '"email" is never an object'],
    ['a prototype segment', 'roles.__proto__', 'segment "__proto__" can never match a claim'],
    ['a path nine deep', 'a.b.c.d.e.f.g.h.i', 'must have 1 to 8 segments'],
    ['a number', '42', 'must be a claim name'],
  ])('refuses %s, for SSO and trusted issuers alike', (_, claim, message) => {
    expect(problems(`${PROVIDER}      role_claim: ${claim}\n`)).toEqual(expect.arrayContaining([expect.stringContaining(`auth.providers.oidc.role_claim: ${message}`)]));
    expect(problems(`${ISSUER}      roles_claim: ${claim}\n`)).toEqual(expect.arrayContaining([expect.stringContaining(`auth.trusted_issuers[0].roles_claim: ${message}`)]));
  });

  it.each([
    ['ID tokens as access tokens', '      token_types: [at+jwt, ID]\n', 'auth.trusted_issuers[0].token_types: ID, refresh and logout tokens are never access tokens'],
    ['an empty token type list', '      token_types: []\n', 'auth.trusted_issuers[0].token_types: must be a non-empty list'],
    ['an empty authorized_parties list', '      authorized_parties: []\n', 'auth.trusted_issuers[0].authorized_parties: must be a non-empty list'],
  ])('refuses %s', (_, yaml, message) => {
    expect(problems(`${ISSUER}${yaml}`)).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
  });

  it("refuses a provider's jwks_cooldown outside 1..3600 seconds", () => {
    for (const cooldown of ['0', '3601', '1.5', '"30"']) {
      expect(problems(`${PROVIDER}      jwks_cooldown: ${cooldown}\n`), cooldown).toEqual(
        expect.arrayContaining([expect.stringContaining('auth.providers.oidc.jwks_cooldown: must be an integer between 1 and 3600')]),
      );
    }
  });

  it('refuses an empty audience list', () => {
    expect(problems(ISSUER.replace('audience: "https://api.example"', 'audience: []'))).toEqual(
      expect.arrayContaining([expect.stringContaining('auth.trusted_issuers[0].audience: is required')]),
    );
  });
});
