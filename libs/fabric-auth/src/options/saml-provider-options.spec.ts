import { generateKeyPairSync } from 'node:crypto';
import { load as loadYaml } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { fabricAuthOptionsFromTree } from './fabric-config.loader.js';
import { FabricConfigError } from './fabric-config.error.js';
import { samlProviders } from './fabric-auth.options.js';

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

const URL_SOURCE = '\n      type: saml\n      idp_metadata_url: "https://idp.example/metadata"';
const indent = (pem: string) => pem.trim().split('\n').join('\n        ');
const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

describe('auth.providers with type: saml (SAML connection options)', () => {
  it('reads a connection beside an OIDC provider, with its defaults', () => {
    const options = fromYaml(`    okta:${URL_SOURCE}
      jit_provisioning: true
      role_claim: "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
      role_mapping: { admins: [auditor] }
      decryption_key: |
        ${indent(rsaKey)}
    oidc:
      issuer: "https://idp.example"
      client_id: "app"
      redirect_uri: "https://app.example/api/v1/auth/oidc/callback"`);
    expect(options.providers.oidc).toMatchObject({ type: 'oidc' });
    expect(samlProviders(options)).toEqual({
      okta: {
        type: 'saml',
        idpMetadataUrl: 'https://idp.example/metadata',
        allowIdpInitiated: false,
        wantAssertionsSigned: true,
        allowSha1: false,
        decryptionKey: `${rsaKey.trim()}\n`,
        jitProvisioning: true,
        defaultRoles: [],
        linkVerifiedEmail: false,
        // An attribute name, taken whole: claim URIs hold dots.
        roleClaim: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
        roleMapping: { admins: ['auditor'] },
      },
    });
  });

  it.each([
    ['no metadata', '    corp:\n      type: saml', 'auth.providers.corp: needs idp_metadata_url or idp_metadata'],
    ['both metadata sources', `    corp:${URL_SOURCE}\n      idp_metadata: "<EntityDescriptor/>"`, 'auth.providers.corp: give idp_metadata_url or idp_metadata, not both'],
    [
      'a plain-http metadata URL on another host',
      '    corp:\n      type: saml\n      idp_metadata_url: "http://idp.example/md"',
      'auth.providers.corp.idp_metadata_url: must be an https URL',
    ],
    [
      'inline metadata with a DOCTYPE',
      '    corp:\n      type: saml\n      idp_metadata: "<!DOCTYPE x><EntityDescriptor/>"',
      'auth.providers.corp.idp_metadata: must not contain a DOCTYPE',
    ],
    [
      'inline metadata that is not XML',
      '    corp:\n      type: saml\n      idp_metadata: "https://idp.example/md"',
      'auth.providers.corp.idp_metadata: must be the IdP metadata XML',
    ],
    ['the default OIDC provider’s name', `    oidc:${URL_SOURCE}`, 'auth.providers.oidc: names the default OpenID provider'],
    ['an OIDC key', `    corp:${URL_SOURCE}\n      client_id: app`, 'auth.providers.corp.client_id: unknown key'],
    ['a role mapping without role_claim', `    corp:${URL_SOURCE}\n      role_mapping: { admins: [auditor] }`, 'auth.providers.corp.role_mapping: needs role_claim'],
    ['a non-boolean allow_sha1', `    corp:${URL_SOURCE}\n      allow_sha1: "no"`, 'auth.providers.corp.allow_sha1: must be true or false'],
    ['a decryption key that is no key', `    corp:${URL_SOURCE}\n      decryption_key: "secret"`, 'auth.providers.corp.decryption_key: must be a PEM private key'],
    ['an EC decryption key', `    corp:${URL_SOURCE}\n      decryption_key: |\n        ${indent(ecKey)}`, 'auth.providers.corp.decryption_key: must be an RSA key'],
    [
      'a signing key without its certificate',
      `    corp:${URL_SOURCE}\n      signing_key: |\n        ${indent(rsaKey)}`,
      'auth.providers.corp.signing_key: must be followed by its certificate',
    ],
    ['an EC signing key', `    corp:${URL_SOURCE}\n      signing_key: |\n        ${indent(ecKey)}`, 'auth.providers.corp.signing_key: must be an RSA key'],
  ])('refuses %s, naming the key', (_, yaml, message) => {
    expect(problems(yaml)).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
  });
});
