import { describe, expect, it } from 'vitest';
import { fabricAuthOptionsFromTree, readFabricConfigTree } from './fabric-config.loader.js';
import { resolveFabricAuthOptions } from './resolve-options.js';

// Every default as an app receives it, pinned: a refactoring of the options (or a folder move)
// that changes one fails here. The snapshot was first written by the implementation it replaced.
const secrets = { secretKey: 'Jq8vN2xL5pR7tW1yB4dF6hK9mC3sZ0aE', systemAdminPassword: 'Snapshot-admin-pass-1' };

/** The one machine-dependent default, checked for its bounds instead of its value. */
function pinned(options: Record<string, unknown>): Record<string, unknown> {
  const { passwordHashConcurrency, ...rest } = options;
  expect(passwordHashConcurrency).toBeGreaterThanOrEqual(1);
  expect(passwordHashConcurrency).toBeLessThanOrEqual(Math.max(1, (Number(process.env.UV_THREADPOOL_SIZE) || 4) - 1));
  return rest;
}

describe('resolved defaults', () => {
  it('of a configuration with only the two secrets', () => {
    expect(pinned(resolveFabricAuthOptions(secrets))).toMatchSnapshot();
  });

  it('follow public_base_url (issuer, MFA label, passkey relying party)', () => {
    expect(pinned(resolveFabricAuthOptions({ ...secrets, publicBaseUrl: 'https://auth.example.com/' }))).toMatchSnapshot();
  });

  it("of the demo's config.yaml", () => {
    const env = { FABRIC_AUTH__SECRET_KEY: secrets.secretKey, FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: secrets.systemAdminPassword };
    expect(pinned(fabricAuthOptionsFromTree(readFabricConfigTree({ file: 'apps/demo/config.yaml', env })))).toMatchSnapshot();
  });

  it('of each section when it is given with only its required keys', () => {
    const options = resolveFabricAuthOptions({
      ...secrets,
      providers: { oidc: { issuer: 'https://idp.example.com', clientId: 'app', redirectUri: 'https://app.example.com/auth/oidc/callback' } },
      trustedIssuers: [{ issuer: 'https://kc.example.com/realms/x', audience: 'api', algorithms: ['RS256'] }],
      signing: {},
      mfa: {},
      webauthn: {},
      sso: {},
      organizations: {},
    });
    expect({
      providers: options.providers,
      trustedIssuers: options.trustedIssuers,
      signing: options.signing,
      mfa: options.mfa,
      webauthn: options.webauthn,
      sso: options.sso,
      organizations: options.organizations,
    }).toMatchSnapshot();
  });
});
