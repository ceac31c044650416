import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { importJWK, type JWK, SignJWT } from 'jose';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

/** Claims of an account at the test provider. */
export interface OpAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
  groups?: string[];
  /** Any other claim, released under the `roles` scope (Keycloak's realm_access, Auth0's namespaced claims, Entra's _claim_names). */
  [claim: string]: unknown;
}

export interface OpClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  /** Where the provider POSTs logout tokens when a session ends (Back-Channel Logout 1.0). */
  backchannel_logout_uri?: string;
}

/** One back-channel logout the provider delivered (or failed to). */
export interface BackchannelDelivery {
  clientId: string;
  sid: string;
  ok: boolean;
  error?: string;
}

/** A real OpenID Provider (oidc-provider) on 127.0.0.1, with a one-field login page. */
export interface TestOp {
  issuer: string;
  /** Subject → claims; tests add and change accounts between logins. */
  accounts: Map<string, OpAccount>;
  /** `METHOD path` of every request the provider received, oldest first. */
  requests: string[];
  hits(path: string): number;
  /** Back-channel logouts the provider sent, oldest first. */
  backchannel: BackchannelDelivery[];
  /** A logout token signed with the provider's own key: `claims` override the valid defaults (undefined drops one). */
  signLogoutToken(clientId: string, claims?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  /** A new key signs from now on and the old one is no longer published (a rotation at the provider); returns the new kid. */
  rotateKeys(): Promise<string>;
  /** Reads `clients` again (a client registered once the app named its redirect URI); sessions at the provider end. */
  reloadClients(): void;
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
  let signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  let kid = 'test-op-key';

  const configuration = (): Configuration => ({
    clients: clients(issuer).map((c) => ({
      ...c,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...(c.backchannel_logout_uri ? { backchannel_logout_session_required: true } : {}),
    })),
    jwks: { keys: [{ ...signingKey, kid, use: 'sig', alg: 'RS256' }] },
    cookies: { keys: ['test-op-cookie-signing-key-0123456789'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
      roles: ['realm_access', 'resource_access', 'https://example.com/roles', '_claim_names', '_claim_sources', 'hasgroups'],
    },
    features: {
      devInteractions: { enabled: false },
      // RP-Initiated Logout: a one-button confirmation page, then post_logout_redirect_uri.
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = `<!doctype html><html><head><title>Test OP sign-out</title></head><body>${form}
<button id="logout-yes" type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button></body></html>`;
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = '<!doctype html><html><body><p id="op-signed-out">Signed out at the test OP</p></body></html>';
        },
      },
      backchannelLogout: { enabled: true },
    },
    ttl: { AccessToken: 300, AuthorizationCode: 60, Grant: 600, IdToken: 300, Interaction: 600, Session: 600 },
    pkce: { required: () => true },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // The app under test is on loopback, which oidc-provider's SSRF guard refuses; and this box can be slow.
    fetch: (url: Parameters<typeof fetch>[0], options: RequestInit & { dispatcher?: unknown } = {}) => {
      delete options.dispatcher;
      return fetch(url, { ...options, signal: AbortSignal.timeout(20_000) });
    },
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
  });
  const backchannel: BackchannelDelivery[] = [];
  // (ctx, client, accountId, sid) on success, (ctx, error, client, accountId, sid) on error.
  const clientOf = (args: unknown[]) => (args.find((a) => typeof (a as { clientId?: unknown })?.clientId === 'string') as { clientId: string }).clientId;
  const build = () => {
    const built = new Provider(issuer, configuration());
    // Emitted by oidc-provider 9 (not in its type definitions).
    const events = built as unknown as NodeJS.EventEmitter;
    events.on('backchannel.success', (...args: unknown[]) => backchannel.push({ clientId: clientOf(args), sid: String(args.at(-1)), ok: true }));
    events.on('backchannel.error', (...args: unknown[]) =>
      backchannel.push({ clientId: clientOf(args), sid: String(args.at(-1)), ok: false, error: (args.find((a) => a instanceof Error) as Error)?.message }),
    );
    return built;
  };
  let provider = build();
  let handle = provider.callback();
  let privateKey = await importJWK({ ...(signingKey as JWK), alg: 'RS256' }, 'RS256');

  server.on('request', (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    requests.push(`${request.method} ${path}`);
    const interaction = /^\/interaction\/([\w-]+)$/.exec(path);
    if (!interaction) return void handle(request, response);
    void (async () => {
      try {
        if (request.method === 'GET') {
          await provider.interactionDetails(request, response);
          response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(LOGIN_PAGE(interaction[1]));
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
    backchannel,
    async signLogoutToken(clientId, claims = {}, header = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = {
        iss: issuer,
        aud: clientId,
        iat: now,
        exp: now + 120,
        jti: randomUUID(),
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
        ...claims,
      };
      for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
      return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid, typ: 'logout+jwt', ...header }).sign(privateKey);
    },
    async rotateKeys() {
      signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
      kid = `test-op-key-${randomUUID().slice(0, 8)}`;
      privateKey = await importJWK({ ...(signingKey as JWK), alg: 'RS256' }, 'RS256');
      provider = build();
      handle = provider.callback();
      return kid;
    },
    reloadClients() {
      provider = build();
      handle = provider.callback();
    },
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
