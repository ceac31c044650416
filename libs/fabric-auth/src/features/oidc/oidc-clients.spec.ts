import { afterEach, describe, expect, it, vi } from 'vitest';
import { SystemClock } from '../../core/clock.js';
import type { OrganizationSsoConnection, OrganizationSsoConnections } from '../../core/ports/organization-sso-connections.js';
import { connectionProviderName } from '../../core/ports/organization-sso-connections.js';
import type { RemoteKeySet } from '../../core/remote-key-set.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import type { PublicBaseUrl } from '../../options/public-base-url.js';
import { OidcClients, type OidcProvider } from './oidc-clients.js';

const ID = '5a3a19d0-4d78-4e8d-bc57-770f1e0c7678';

function clientsFor(issuer: string): OidcClients {
  const connection: OrganizationSsoConnection = {
    id: ID,
    organizationId: '00000000-0000-4000-8000-000000000001',
    protocol: 'oidc',
    version: 1,
    oidc: { issuer, clientId: 'c', clientSecret: 's' },
    roleClaim: null,
    roleMapping: {},
    jitProvisioning: true,
    linkVerifiedEmail: false,
    emailDomains: [],
    allowPrivateNetworks: false,
  };
  const organizations: OrganizationSsoConnections = { available: true, enabledConnection: (id) => Promise.resolve(id === ID ? connection : null) };
  const options = { providers: {}, clockSkew: 30 } as unknown as ResolvedFabricAuthOptions;
  const publicBaseUrl = { get: () => 'https://app.example' } as PublicBaseUrl;
  return new OidcClients(options, new SystemClock(), organizations, 'api', publicBaseUrl);
}

describe("an organization's OIDC connection: every read goes through the tenant rules", () => {
  afterEach(() => vi.restoreAllMocks());

  it('is found by its session provider name, with the post-logout redirect URI its view names', async () => {
    const clients = clientsFor('https://idp.example');
    const provider = await clients.ofSession(connectionProviderName(ID));
    expect(provider).toMatchObject({ name: `org/${ID}`, providerName: connectionProviderName(ID) });
    expect(provider!.options).toMatchObject({ redirectUri: `https://app.example/api/auth/oidc/org/${ID}/callback`, postLogoutRedirectUri: 'https://app.example/' });
    expect(await clients.ofSession(connectionProviderName('00000000-0000-4000-8000-000000000000'))).toBeUndefined();
    expect(await clients.ofSession('org/x')).toBeUndefined();
  });

  it('its keys are read at the checked address only: a jwks_uri reaching loopback, private or link-local is refused without a request', async () => {
    const global = vi.spyOn(globalThis, 'fetch');
    const clients = clientsFor('https://idp.example');
    const provider = (await clients.provider(`org/${ID}`)) as OidcProvider;
    const keySetFor = (uri: string) => (clients as unknown as { keySetFor(p: OidcProvider, uri: string): RemoteKeySet }).keySetFor(provider, uri);
    for (const uri of ['https://127.0.0.1/jwks', 'https://localhost/jwks', 'https://10.1.2.3/jwks', 'https://169.254.169.254/jwks']) {
      await expect(keySetFor(uri).current(), uri).rejects.toThrow(/private, loopback or link-local/);
    }
    await expect(keySetFor('http://idp.example/jwks').current()).rejects.toThrow(/must be an https URL/);
    expect(global).not.toHaveBeenCalled();
  });

  it('its discovery too (and so the keys a back-channel logout token is checked with)', async () => {
    const global = vi.spyOn(globalThis, 'fetch');
    const clients = clientsFor('https://127.0.0.1');
    const provider = (await clients.provider(`org/${ID}`)) as OidcProvider;
    await expect(clients.keyResolver(provider)).rejects.toMatchObject({ reason: 'discovery_failed', message: expect.stringMatching(/private, loopback or link-local/) });
    await expect(clients.configuration(provider)).rejects.toThrow(/private, loopback or link-local/);
    expect(global).not.toHaveBeenCalled();
  });
});
