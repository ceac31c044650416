import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

/** Claims of an account at the test provider. */
export interface OpAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
  groups?: string[];
}

export interface OpClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

/** A real OpenID Provider (oidc-provider) on 127.0.0.1, with a one-field login page. */
export interface TestOp {
  issuer: string;
  /** Subject → claims; tests add and change accounts between logins. */
  accounts: Map<string, OpAccount>;
  /** `METHOD path` of every request the provider received, oldest first. */
  requests: string[];
  hits(path: string): number;
  close(): Promise<void>;
}

function body(request: IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => done(text));
    request.on('error', fail);
  });
}

const LOGIN_PAGE = (uid: string) => `<!doctype html>
<html><head><title>Test OP sign-in</title></head><body>
<form method="post" action="/interaction/${uid}">
  <label>Subject <input name="login" id="login" autofocus></label>
  <button type="submit" id="sign-in">Sign in</button>
</form></body></html>`;

/** Starts the provider; `clients` may be completed after the port is known, before the first login. */
export async function startTestOp(clients: (issuer: string) => OpClient[]): Promise<TestOp> {
  const accounts = new Map<string, OpAccount>();
  const requests: string[] = [];
  const server: Server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

  const configuration: Configuration = {
    clients: clients(issuer).map((c) => ({
      ...c,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [{ ...signingKey, kid: 'test-op-key', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: ['test-op-cookie-signing-key-0123456789'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    features: { devInteractions: { enabled: false } },
    ttl: { AccessToken: 300, AuthorizationCode: 60, Grant: 600, IdToken: 300, Interaction: 600, Session: 600 },
    pkce: { required: () => true },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, sub) => {
      const account = accounts.get(sub);
      return account && { accountId: sub, claims: () => ({ sub, ...account }) };
    },
    // Consent is implied: every scope the client asks for is granted.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId || !ctx.oidc.client) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
      grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
      await grant.save();
      return grant;
    },
  };
  const provider = new Provider(issuer, configuration);
  const handle = provider.callback();

  server.on('request', (request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    requests.push(`${request.method} ${path}`);
    const interaction = /^\/interaction\/([\w-]+)$/.exec(path);
    if (!interaction) return void handle(request, response);
    void (async () => {
      try {
        if (request.method === 'GET') {
          await provider.interactionDetails(request, response);
          response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(LOGIN_PAGE(interaction[1]!));
          return;
        }
        const login = new URLSearchParams(await body(request)).get('login') ?? '';
        if (!accounts.has(login)) {
          response.writeHead(400, { 'content-type': 'text/plain' }).end('unknown account');
          return;
        }
        await provider.interactionFinished(request, response, { login: { accountId: login } }, { mergeWithLastSubmission: false });
      } catch (error) {
        response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      }
    })();
  });

  return {
    issuer,
    accounts,
    requests,
    hits: (path) => requests.filter((r) => r.endsWith(` ${path}`)).length,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
