import { createSecretKey, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { FabricClock } from '../../core/clock.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { parseCompact, signCompact, signHs256, verifyHs256, verifyParsed } from '../../core/jws.js';
import { SigningKeysService } from '../signing/signing-keys.service.js';
import { FabricAuthError } from '../../core/fabric-auth.error.js';
import { isUuid } from '../../core/ids.js';
import { constantTimeEqual, deriveKey, hmacSha256, sha256 } from '../../core/crypto.js';

export interface AccessClaims {
  readonly sub: string;
  /** The session; for a client-credentials token, the API key it was minted with. */
  readonly sid: string;
  /** `client_credentials` on tokens a service account obtained with an API key (no session). */
  readonly gty?: 'client_credentials';
  /** Space-separated permissions a client-credentials token is narrowed to. */
  readonly scope?: string;
  /** RFC 8176 methods the session's login proved (`pwd`, `otp`, `hwk`, `mfa`). */
  readonly amr?: readonly string[];
  /** The organization the token acts in (its id): a user's, chosen with `grant_type=organization`; an organization's service account's, always its own. */
  readonly org?: string;
  readonly jti: string;
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
}

export interface IssuedAccessToken {
  token: string;
  expiresIn: number;
}

export interface IssuedRefreshToken {
  token: string;
  hash: string;
}

const BASE64URL_43 = /^[A-Za-z0-9_-]{43}$/;
const ACCESS_TOKEN_TYPE = 'access';
/** Longest token looked at; ours are well under 1 KB. */
const MAX_TOKEN_LENGTH = 4096;
const VERIFIED_CACHE_SIZE = 10_000;
/** Characters of a token its verified-cache entry is filed under: an HS256 signature's length, the shortest we verify. */
const VERIFIED_KEY_LENGTH = 43;

interface VerifiedToken {
  readonly token: string;
  readonly claims: AccessClaims;
  readonly kid: string | undefined;
}

/**
 * Access tokens (JWT, HS256 with `secret_key` or EdDSA/ES256/RS256 with a `kid` from the
 * signing key set, verified with the algorithm, issuer and audience pinned),
 * refresh tokens (opaque, MAC-authenticated, stored hashed) and session-bound CSRF tokens.
 *
 * @publicApi
 */
@Injectable()
export class TokenService {
  /** `secret_key` as the HS256 key. */
  readonly jwtKey: KeyObject;
  private readonly refreshMacKey: Buffer;
  private readonly csrfKey: Buffer;
  /**
   * Tokens whose signature and claims were verified; expiry is re-checked on every hit, and
   * so is the signing key (`kid`), so a cached token dies with its retired key. Found by the
   * token's last characters (its signature's), then compared whole: hashing a fresh
   * ~400-character string for a Map key cost more than the rest of a hit together.
   */
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly clock: FabricClock,
    private readonly signingKeys: SigningKeysService,
  ) {
    const secret = Buffer.from(options.secretKey, 'utf8');
    this.jwtKey = createSecretKey(secret);
    this.refreshMacKey = deriveKey(secret, 'fabric-auth refresh-token mac');
    this.csrfKey = deriveKey(secret, 'fabric-auth csrf token');
  }

  issueAccessToken(userId: string, sessionId: string, amr?: readonly string[], organizationId?: string | null): IssuedAccessToken {
    return this.signAccessToken({ sub: userId, sid: sessionId, ...(amr && amr.length > 0 && { amr: [...amr] }), ...(organizationId && { org: organizationId }) });
  }

  /**
   * RFC 6749 §4.4: a service account's token, bound to the API key it authenticated with
   * (`sid`), so revoking the key or deactivating the account ends it on the next request.
   */
  issueClientAccessToken(serviceAccountId: string, apiKeyId: string, scope: readonly string[], organizationId?: string): IssuedAccessToken {
    return this.signAccessToken({
      sub: serviceAccountId,
      sid: apiKeyId,
      gty: 'client_credentials',
      scope: scope.join(' '),
      client_id: serviceAccountId,
      ...(organizationId !== undefined && { org: organizationId }),
    });
  }

  private signAccessToken(subject: Record<string, string | string[]>): IssuedAccessToken {
    const now = Math.floor(this.clock.now() / 1000);
    const expiresIn = this.options.accessTokenExpire;
    const payload = {
      iss: this.options.issuer,
      aud: this.options.audience,
      ...subject,
      typ: ACCESS_TOKEN_TYPE,
      jti: randomUUID(),
      iat: now,
      nbf: now,
      exp: now + expiresIn,
    };
    const algorithm = this.signingKeys.algorithm;
    let token: string;
    if (algorithm === undefined) token = signHs256(this.jwtKey, payload);
    else {
      const signer = this.signingKeys.currentSigner();
      token = signCompact(algorithm, signer.kid, signer.key, payload);
    }
    return { token, expiresIn };
  }

  /**
   * Verifies a Bearer/cookie access token; throws (or rejects with) `FabricAuthError`
   * naming the reason. Synchronous on the hot path; a promise only when an asymmetric
   * token names a `kid` this instance has not loaded yet (another instance rotated).
   * `now`: the request's clock reading, when the caller has one.
   */
  verifyAccessToken(token: string, now = this.clock.now()): AccessClaims | Promise<AccessClaims> {
    const nowSeconds = now / 1000;
    const cacheKey = token.slice(-VERIFIED_KEY_LENGTH);
    const cached = this.verified.get(cacheKey);
    if (cached !== undefined && cached.token === token) {
      if (cached.kid !== undefined && this.signingKeys.verifierFor(cached.kid, nowSeconds * 1000) === undefined) {
        this.verified.delete(cacheKey);
        throw new FabricAuthError('bad_token', 'signing key retired');
      }
      this.checkTimes(cached.claims, nowSeconds);
      return cached.claims;
    }
    if (token.length > MAX_TOKEN_LENGTH) throw new FabricAuthError('malformed', 'token too long');
    if (this.signingKeys.algorithm !== undefined) return this.verifyAsymmetric(token, nowSeconds);
    const { header, payload } = verifyHs256(token, this.jwtKey);
    this.checkHs256Times(payload, Math.floor(nowSeconds));
    // RFC 7515 §4.1.11: we understand no extension, so a token naming critical ones is refused.
    if ('crit' in header) throw new FabricAuthError('bad_token', 'crit header');
    return this.remember(token, undefined, this.checkedPayload(payload), nowSeconds);
  }

  private verifyAsymmetric(token: string, nowSeconds: number): AccessClaims | Promise<AccessClaims> {
    const algorithm = this.signingKeys.algorithm!;
    const parsed = parseCompact(token, algorithm);
    const key = this.signingKeys.verifierFor(parsed.kid, nowSeconds * 1000);
    if (key !== undefined) return this.remember(token, parsed.kid, this.checkedPayload(verifyParsed(parsed, algorithm, key)), nowSeconds);
    return this.signingKeys.reloadForUnknownKid().then((reloaded) => {
      const fresh = reloaded ? this.signingKeys.verifierFor(parsed.kid, this.clock.now()) : undefined;
      if (fresh === undefined) throw new FabricAuthError('bad_token', 'unknown kid');
      return this.remember(token, parsed.kid, this.checkedPayload(verifyParsed(parsed, algorithm, fresh)), this.clock.now() / 1000);
    });
  }

  /**
   * `nbf` and `exp` as jsonwebtoken checked them on the HS256 path, before `checkTimes`: against
   * the whole second, and only when present (`accessClaimsFrom` then requires them).
   */
  private checkHs256Times(p: Record<string, unknown>, clockSeconds: number): void {
    const skew = this.options.clockSkew;
    for (const claim of ['nbf', 'exp'] as const) {
      if (p[claim] !== undefined && typeof p[claim] !== 'number') throw new FabricAuthError('bad_token', `invalid ${claim} value`);
    }
    if (typeof p.nbf === 'number' && p.nbf > clockSeconds + skew) throw new FabricAuthError('expired', 'jwt not active');
    if (typeof p.exp === 'number' && clockSeconds >= p.exp + skew) throw new FabricAuthError('expired', 'jwt expired');
  }

  /** `iss` and `aud` (pinned), then the claims of ours, for a payload whose signature checked out. */
  private checkedPayload(payload: unknown): AccessClaims {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new FabricAuthError('malformed', 'payload');
    const p = payload as Record<string, unknown>;
    if (p.iss !== this.options.issuer) throw new FabricAuthError('bad_token', 'iss');
    const audiences = Array.isArray(p.aud) ? p.aud : [p.aud];
    if (!audiences.includes(this.options.audience)) throw new FabricAuthError('bad_token', 'aud');
    return this.accessClaimsFrom(p);
  }

  private remember(token: string, kid: string | undefined, claims: AccessClaims, nowSeconds: number): AccessClaims {
    this.checkTimes(claims, nowSeconds);
    const cacheKey = token.slice(-VERIFIED_KEY_LENGTH);
    // Two tokens ending alike share a slot (the later one wins); a hit still needs the whole token equal.
    if (this.verified.size >= VERIFIED_CACHE_SIZE && !this.verified.has(cacheKey)) {
      this.verified.delete(this.verified.keys().next().value!);
    }
    this.verified.set(cacheKey, { token, claims, kid });
    return claims;
  }

  /** Checks the claims the signature verifiers leave to us. */
  accessClaimsFrom(payload: unknown): AccessClaims {
    if (typeof payload !== 'object' || payload === null) throw new FabricAuthError('malformed', 'payload');
    const p = payload as Record<string, unknown>;
    if (p.typ !== ACCESS_TOKEN_TYPE) throw new FabricAuthError('wrong_type', String(p.typ));
    if (typeof p.sub !== 'string' || !isUuid(p.sub)) throw new FabricAuthError('malformed', 'sub');
    if (typeof p.sid !== 'string' || !isUuid(p.sid)) throw new FabricAuthError('malformed', 'sid');
    if (typeof p.jti !== 'string') throw new FabricAuthError('malformed', 'jti');
    for (const claim of ['exp', 'iat', 'nbf'] as const) {
      if (typeof p[claim] !== 'number' || !Number.isFinite(p[claim])) throw new FabricAuthError('malformed', claim);
    }
    let amr: string[] | undefined;
    if (p.amr !== undefined) {
      if (!Array.isArray(p.amr) || p.amr.length > 8 || p.amr.some((m) => typeof m !== 'string' || !/^[a-z]{2,16}$/.test(m))) throw new FabricAuthError('malformed', 'amr');
      amr = p.amr as string[];
    }
    if (p.org !== undefined && (typeof p.org !== 'string' || !isUuid(p.org))) throw new FabricAuthError('malformed', 'org');
    const claims = { sub: p.sub, sid: p.sid, jti: p.jti, iat: p.iat as number, nbf: p.nbf as number, exp: p.exp as number, ...(amr && { amr }) };
    if (p.gty === undefined) return p.org === undefined ? claims : { ...claims, org: p.org };
    if (p.gty !== 'client_credentials') throw new FabricAuthError('malformed', 'gty');
    if (typeof p.scope !== 'string' || p.scope.length > MAX_TOKEN_LENGTH) throw new FabricAuthError('malformed', 'scope');
    // A service account's token names an organization only when its account belongs to one: the
    // key's principal must then act in that same organization (ApiKeysService.forClientToken).
    return { ...claims, gty: p.gty, scope: p.scope, ...(p.org !== undefined && { org: p.org }) };
  }

  /** `exp`, `nbf` and `iat` against the injectable clock, with the configured skew. */
  checkTimes(claims: AccessClaims, nowSeconds = this.clock.now() / 1000): void {
    const skew = this.options.clockSkew;
    if (claims.exp + skew <= nowSeconds) throw new FabricAuthError('expired');
    if (claims.nbf - skew > nowSeconds) throw new FabricAuthError('expired', 'not yet valid');
    if (claims.iat - skew > nowSeconds) throw new FabricAuthError('malformed', 'issued in the future');
  }

  /**
   * `<session id>.<256 random bits>.<MAC>`: the MAC lets a refresh tell a token we once
   * issued for this session (a replay of a rotated token: revoke) from a forgery (refuse).
   */
  issueRefreshToken(sessionId: string): IssuedRefreshToken {
    const body = `${sessionId}.${randomBytes(32).toString('base64url')}`;
    const token = `${body}.${this.refreshMac(body)}`;
    return { token, hash: sha256(token, 'hex') };
  }

  /** The session a refresh token was issued for, or undefined when it is not one of ours. */
  authenticRefreshToken(token: string): { sessionId: string; hash: string } | undefined {
    if (token.length > 200) return undefined;
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [sessionId, random, mac] = parts as [string, string, string];
    if (!isUuid(sessionId) || !BASE64URL_43.test(random) || !BASE64URL_43.test(mac)) return undefined;
    if (!constantTimeEqual(mac, this.refreshMac(`${sessionId}.${random}`))) return undefined;
    return { sessionId, hash: sha256(token, 'hex') };
  }

  private refreshMac(body: string): string {
    return hmacSha256(this.refreshMacKey, body, 'base64url');
  }

  /** Signed double-submit token bound to one session. */
  csrfTokenFor(sessionId: string): string {
    return hmacSha256(this.csrfKey, `csrf.${sessionId}`, 'base64url');
  }

  csrfMatches(sessionId: string, header: string | undefined, cookie: string | undefined): boolean {
    if (!header || !cookie) return false;
    const expected = this.csrfTokenFor(sessionId);
    return constantTimeEqual(header, cookie) && constantTimeEqual(header, expected);
  }
}
