import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';

/** A real oidc-provider issuing JWT access tokens (resource indicators) by client credentials. */
export interface ResourceOp {
  issuer: string;
  /** Claims added to every access token of a client (`extraTokenClaims`). */
  claims: Map<string, Record<string, unknown>>;
  /** An access token for `resource`, obtained by client credentials with HTTP Basic. */
  token(clientId: string, resource?: string): Promise<string>;
  /** A new signing key is put first (it signs from now on); the old ones stay published. */
  rotateKeys(): void;
  hits(path: string): number;
  close(): Promise<void>;
}

export const RESOURCE_CLIENT_SECRET = 'resource-op-client-secret-0b9e4d2a';

function rsaJwk(kid: string): JsonWebKey & { kid: string; use: string; alg: string } {
  const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return { ...jwk, kid, use: 'sig', alg: 'RS256' };
}

export async function startResourceOp(clientIds: string[], audiences: string[]): Promise<ResourceOp> {
  const server: Server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const claims = new Map<string, Record<string, unknown>>();
  const requests: string[] = [];
  let keys = [rsaJwk('op-key-1')];

  const build = () => {
    const configuration: Configuration = {
      clients: clientIds.map((client_id) => ({
        client_id,
        client_secret: RESOURCE_CLIENT_SECRET,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      })),
      jwks: { keys: keys },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => audiences[0],
          getResourceServerInfo: (_ctx, resource) => {
            if (!audiences.includes(resource)) throw new Error(`unknown resource ${resource}`);
            return { scope: 'api:read', audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: 300, jwt: { sign: { alg: 'RS256' } } };
          },
        },
      },
      extraTokenClaims: (_ctx, token) => claims.get((token as { clientId?: string }).clientId ?? '') ?? undefined,
    };
    return new Provider(issuer, configuration).callback();
  };
  let handle = build();
  server.on('request', (request, response) => {
    requests.push(`${request.method} ${(request.url ?? '/').split('?')[0]}`);
    void handle(request, response);
  });

  return {
    issuer,
    claims,
    async token(clientId, resource = audiences[0]) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${RESOURCE_CLIENT_SECRET}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope: 'api:read' }),
      });
      const body = (await response.json()) as { access_token?: string };
      if (!response.ok || !body.access_token) throw new Error(`token request failed: ${response.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    rotateKeys() {
      keys = [rsaJwk(`op-key-${keys.length + 1}`), ...keys];
      handle = build();
    },
    hits: (path) => requests.filter((r) => r.endsWith(` ${path}`)).length,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
