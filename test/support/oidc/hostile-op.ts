import { createHash, createHmac, generateKeyPairSync, type JsonWebKey, type KeyObject, randomBytes, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SigningKey {
  kid: string | undefined;
  alg: 'RS256' | 'ES256';
  privateKey: KeyObject;
  publicJwk: JsonWebKey;
}

export function newSigningKey(alg: 'RS256' | 'ES256', kid?: string): SigningKey {
  const pair = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, alg, privateKey: pair.privateKey, publicJwk: pair.publicKey.export({ format: 'jwk' }) };
}

/** How the next ID token is made. */
export interface IdTokenPlan {
  /** Changes to the claims, given the provider's time in seconds; `undefined` removes a claim. */
  claims?: (now: number) => Record<string, unknown>;
  header?: Record<string, unknown>;
  /** Default: a valid signature by `signingKey`. */
  signature?: 'corrupt' | 'none' | { hs256: string } | { key: SigningKey };
  /** Send this exact token instead (a replay). */
  verbatim?: string;
}

export type Endpoint = 'discovery' | 'jwks' | 'token' | 'userinfo';

interface Authorization {
  nonce: string;
  challenge: string;
  redirectUri: string;
  used: boolean;
}

const ROUTES = new Map<string, Endpoint | 'authorize'>([
  ['/.well-known/openid-configuration', 'discovery'],
  ['/jwks', 'jwks'],
  ['/token', 'token'],
  ['/userinfo', 'userinfo'],
  ['/authorize', 'authorize'],
]);

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => done(text));
    request.on('error', fail);
  });
}

/** Answers of an endpoint failing with 'huge': what it would say, padded past 1 MiB. */
const padded = new WeakSet<ServerResponse>();

function json(response: ServerResponse, status: number, body: Record<string, unknown>): void {
  const sent = padded.has(response) ? { ...body, padding: 'x'.repeat(2 * 1024 * 1024) } : body;
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(sent));
}

/**
 * A hand-written OpenID Provider on loopback whose every answer a test can bend: it signs
 * login results automatically (no sign-in page) and issues the ID tokens, UserInfo and
 * failures each test asks for. Everything it issued is recorded, to check none of it
 * reaches the browser.
 */
export class HostileOp {
  readonly clientId = 'hostile-client';
  readonly clientSecret = 'hostile-client-secret-2b7e151628aed2a6';
  issuer = '';
  /** Lie about the issuer in discovery. */
  discoveryIssuer: string | undefined;
  subject = 'hostile-subject';
  profile: Record<string, unknown> = { email: 'hostile.user@example.test', email_verified: true, name: 'Hostile User' };
  readonly rsaKey = newSigningKey('RS256', 'key-1');
  readonly ecKey = newSigningKey('ES256', 'ec-1');
  signingKey = this.rsaKey;
  published: SigningKey[] = [this.rsaKey, this.ecKey];
  idToken: IdTokenPlan = {};
  userinfo: Record<string, unknown> = {};
  /** Refuse every code_verifier, as if it did not match the challenge. */
  refuseVerifier = false;
  /** An answer the token endpoint gives instead of tokens. */
  tokenAnswer: { status: number; body: Record<string, unknown> } | undefined;
  /** Milliseconds the token endpoint takes to answer. */
  tokenDelayMs = 0;
  /**
   * Endpoints that fail: with a 503, a maintenance page (200, HTML), by dropping the connection,
   * or with its usual answer padded past 1 MiB.
   */
  readonly failing = new Map<Endpoint, 'status' | 'html' | 'drop' | 'huge'>();
  /** Milliseconds; tests hand in the app's clock. */
  now: () => number = Date.now;
  readonly hits: Record<Endpoint | 'authorize', number> = { discovery: 0, jwks: 0, token: 0, userinfo: 0, authorize: 0 };
  /** Every access and ID token this provider issued. */
  readonly issued: string[] = [];
  readonly authorizationRequests: URLSearchParams[] = [];
  readonly tokenRequests: URLSearchParams[] = [];
  lastIdToken: string | undefined;
  private readonly codes = new Map<string, Authorization>();
  private server: Server | undefined;

  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((done) => {
      if (!this.server) return done();
      this.server.close(() => done());
      this.server.closeAllConnections();
    });
  }

  /**
   * Back to a well-behaved provider, with a new subject and its own email (so a wrongly
   * accepted login would create a user, and no login meets another's account).
   */
  reset(subject = `hostile-${randomBytes(4).toString('hex')}`): void {
    this.subject = subject;
    this.profile = { ...this.profile, email: `${subject}@example.test` };
    this.signingKey = this.rsaKey;
    this.published = [this.rsaKey, this.ecKey];
    this.idToken = {};
    this.userinfo = {};
    this.tokenAnswer = undefined;
    this.tokenDelayMs = 0;
    this.refuseVerifier = false;
    this.failing.clear();
    this.discoveryIssuer = undefined;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.issuer);
    const endpoint = ROUTES.get(url.pathname);
    if (!endpoint) return json(response, 404, { error: 'not_found' });
    this.hits[endpoint]++;
    const failure = endpoint === 'authorize' ? undefined : this.failing.get(endpoint);
    if (failure === 'drop') return void request.socket.destroy();
    if (failure === 'status') return json(response, 503, { error: 'temporarily_unavailable' });
    if (failure === 'huge') padded.add(response);
    if (failure === 'html') return void response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Down for maintenance</title>');
    switch (endpoint) {
      case 'discovery':
        return json(response, 200, this.discovery());
      case 'jwks':
        return json(response, 200, {
          keys: this.published.map((k) => ({ ...k.publicJwk, ...(k.kid ? { kid: k.kid } : {}), alg: k.alg, use: 'sig' })),
        });
      case 'authorize':
        return this.authorize(url, response);
      case 'token':
        return this.token(request, response);
      case 'userinfo':
        return this.userInfo(request, response);
    }
  }

  private discovery(): Record<string, unknown> {
    return {
      issuer: this.discoveryIssuer ?? this.issuer,
      authorization_endpoint: `${this.issuer}/authorize`,
      token_endpoint: `${this.issuer}/token`,
      userinfo_endpoint: `${this.issuer}/userinfo`,
      jwks_uri: `${this.issuer}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      // Advertises what it should not, so that refusing `none` and HS256 is the RP's own doing.
      id_token_signing_alg_values_supported: ['RS256', 'ES256', 'HS256', 'none'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    };
  }

  /** Logs the user in at once and redirects back with a code. */
  private authorize(url: URL, response: ServerResponse): void {
    this.authorizationRequests.push(url.searchParams);
    const code = randomBytes(16).toString('base64url');
    const redirectUri = url.searchParams.get('redirect_uri') ?? '';
    this.codes.set(code, {
      nonce: url.searchParams.get('nonce') ?? '',
      challenge: url.searchParams.get('code_challenge') ?? '',
      redirectUri,
      used: false,
    });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', url.searchParams.get('state') ?? '');
    back.searchParams.set('iss', this.issuer);
    response.writeHead(302, { location: back.href }).end();
  }

  private async token(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(request));
    if (this.tokenDelayMs > 0) await new Promise((done) => setTimeout(done, this.tokenDelayMs));
    this.tokenRequests.push(form);
    if (!this.authenticatesClient(request.headers.authorization)) return json(response, 401, { error: 'invalid_client' });
    if (this.tokenAnswer) return json(response, this.tokenAnswer.status, this.tokenAnswer.body);
    const grant = this.codes.get(form.get('code') ?? '');
    const verifier = form.get('code_verifier') ?? '';
    if (
      !grant ||
      grant.used ||
      form.get('grant_type') !== 'authorization_code' ||
      form.get('redirect_uri') !== grant.redirectUri ||
      this.refuseVerifier ||
      createHash('sha256').update(verifier).digest('base64url') !== grant.challenge
    ) {
      return json(response, 400, { error: 'invalid_grant', error_description: 'code, redirect_uri or code_verifier mismatch' });
    }
    grant.used = true;
    const accessToken = `hostile-at-${randomBytes(16).toString('base64url')}`;
    const idToken = this.makeIdToken(grant.nonce);
    this.issued.push(accessToken, idToken);
    this.lastIdToken = idToken;
    json(response, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 300, id_token: idToken });
  }

  /** client_secret_basic: both parts form-urlencoded (RFC 6749 §2.3.1). */
  private authenticatesClient(header: string | undefined): boolean {
    if (!header?.startsWith('Basic ')) return false;
    const [id, secret] = Buffer.from(header.slice(6), 'base64')
      .toString('utf8')
      .split(':')
      .map((part) => decodeURIComponent(part.replace(/\+/g, ' ')));
    return id === this.clientId && secret === this.clientSecret;
  }

  private userInfo(request: IncomingMessage, response: ServerResponse): void {
    if (!request.headers.authorization?.startsWith('Bearer hostile-at-')) return json(response, 401, { error: 'invalid_token' });
    json(response, 200, { sub: this.subject, ...this.profile, ...this.userinfo });
  }

  private makeIdToken(nonce: string): string {
    const plan = this.idToken;
    if (plan.verbatim) return plan.verbatim;
    const now = Math.floor(this.now() / 1000);
    const claims: Record<string, unknown> = { iss: this.issuer, sub: this.subject, aud: this.clientId, exp: now + 300, iat: now, nonce };
    for (const [name, value] of Object.entries(plan.claims?.(now) ?? {})) {
      if (value === undefined) delete claims[name];
      else claims[name] = value;
    }
    const signature = plan.signature;
    const key = typeof signature === 'object' && 'key' in signature ? signature.key : this.signingKey;
    const alg = signature === 'none' ? 'none' : typeof signature === 'object' && 'hs256' in signature ? 'HS256' : key.alg;
    const header = { alg, typ: 'JWT', ...(key.kid && alg !== 'none' ? { kid: key.kid } : {}), ...plan.header };
    const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
    if (signature === 'none') return `${input}.`;
    if (typeof signature === 'object' && 'hs256' in signature) return `${input}.${createHmac('sha256', signature.hs256).update(input).digest('base64url')}`;
    const raw = sign('sha256', Buffer.from(input), key.alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey);
    if (signature === 'corrupt') raw[raw.length >> 1] ^= 0x01;
    return `${input}.${b64(raw)}`;
  }
}
