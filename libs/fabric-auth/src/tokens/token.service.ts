import { createHash, createHmac, createSecretKey, hkdfSync, type KeyObject, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { FabricClock } from '../common/clock.js';
import { FABRIC_RESOLVED_OPTIONS } from '../fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../fabric-auth.options.js';
import { FabricAuthError } from './fabric-auth.error.js';

export interface AccessClaims {
  readonly sub: string;
  readonly sid: string;
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BASE64URL_43 = /^[A-Za-z0-9_-]{43}$/;
const ACCESS_TOKEN_TYPE = 'access';
/** Longest token looked at; ours are well under 1 KB. */
const MAX_TOKEN_LENGTH = 4096;
const VERIFIED_CACHE_SIZE = 10_000;

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Access tokens (HS256 JWT, verified with the algorithm, issuer and audience pinned),
 * refresh tokens (opaque, MAC-authenticated, stored hashed) and session-bound CSRF tokens.
 */
@Injectable()
export class TokenService {
  /** A KeyObject, not a string: jsonwebtoken otherwise tries each string as a PEM key (~0.4 ms). */
  readonly jwtKey: KeyObject;
  private readonly refreshMacKey: Buffer;
  private readonly csrfKey: Buffer;
  /** Tokens whose signature and claims were verified; expiry is re-checked on every hit. */
  private readonly verified = new Map<string, AccessClaims>();

  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly clock: FabricClock,
  ) {
    const secret = Buffer.from(options.secretKey, 'utf8');
    this.jwtKey = createSecretKey(secret);
    this.refreshMacKey = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'fabric-auth refresh-token mac', 32));
    this.csrfKey = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'fabric-auth csrf token', 32));
  }

  /** Options shared with the passport-jwt strategies, so both paths verify the same way. */
  jwtVerifyOptions(): jwt.VerifyOptions & { algorithms: jwt.Algorithm[] } {
    return {
      algorithms: ['HS256'],
      issuer: this.options.issuer,
      audience: this.options.audience,
      clockTolerance: this.options.clockSkew,
    };
  }

  issueAccessToken(userId: string, sessionId: string): IssuedAccessToken {
    const now = Math.floor(this.clock.now() / 1000);
    const expiresIn = this.options.accessTokenExpire;
    const payload = {
      iss: this.options.issuer,
      aud: this.options.audience,
      sub: userId,
      sid: sessionId,
      typ: ACCESS_TOKEN_TYPE,
      jti: randomUUID(),
      iat: now,
      nbf: now,
      exp: now + expiresIn,
    };
    const token = jwt.sign(payload, this.jwtKey, { algorithm: 'HS256' });
    return { token, expiresIn };
  }

  /** Verifies a Bearer/cookie access token; throws `FabricAuthError` with the reason. */
  verifyAccessToken(token: string): AccessClaims {
    const nowSeconds = this.clock.now() / 1000;
    const cached = this.verified.get(token);
    if (cached !== undefined) {
      this.checkTimes(cached, nowSeconds);
      return cached;
    }
    if (token.length > MAX_TOKEN_LENGTH) throw new FabricAuthError('malformed', 'token too long');
    let verified: jwt.Jwt;
    try {
      verified = jwt.verify(token, this.jwtKey, { ...this.jwtVerifyOptions(), clockTimestamp: Math.floor(nowSeconds), complete: true });
    } catch (error) {
      const expired = error instanceof jwt.TokenExpiredError || error instanceof jwt.NotBeforeError;
      throw new FabricAuthError(expired ? 'expired' : 'bad_token', (error as Error).message);
    }
    // RFC 7515 §4.1.11: we understand no extension, so a token naming critical ones is refused.
    if ('crit' in verified.header) throw new FabricAuthError('bad_token', 'crit header');
    const claims = this.accessClaimsFrom(verified.payload);
    this.checkTimes(claims, nowSeconds);
    if (this.verified.size >= VERIFIED_CACHE_SIZE) {
      this.verified.delete(this.verified.keys().next().value!);
    }
    this.verified.set(token, claims);
    return claims;
  }

  /** Checks the claims jsonwebtoken leaves to us; shared with the passport-jwt strategies. */
  accessClaimsFrom(payload: unknown): AccessClaims {
    if (typeof payload !== 'object' || payload === null) throw new FabricAuthError('malformed', 'payload');
    const p = payload as Record<string, unknown>;
    if (p.typ !== ACCESS_TOKEN_TYPE) throw new FabricAuthError('wrong_type', String(p.typ));
    if (typeof p.sub !== 'string' || !UUID.test(p.sub)) throw new FabricAuthError('malformed', 'sub');
    if (typeof p.sid !== 'string' || !UUID.test(p.sid)) throw new FabricAuthError('malformed', 'sid');
    if (typeof p.jti !== 'string') throw new FabricAuthError('malformed', 'jti');
    for (const claim of ['exp', 'iat', 'nbf'] as const) {
      if (typeof p[claim] !== 'number' || !Number.isFinite(p[claim])) throw new FabricAuthError('malformed', claim);
    }
    return { sub: p.sub, sid: p.sid, jti: p.jti, iat: p.iat as number, nbf: p.nbf as number, exp: p.exp as number };
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
    return { token, hash: sha256Hex(token) };
  }

  /** The session a refresh token was issued for, or undefined when it is not one of ours. */
  authenticRefreshToken(token: string): { sessionId: string; hash: string } | undefined {
    if (token.length > 200) return undefined;
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [sessionId, random, mac] = parts as [string, string, string];
    if (!UUID.test(sessionId) || !BASE64URL_43.test(random) || !BASE64URL_43.test(mac)) return undefined;
    if (!safeEqual(mac, this.refreshMac(`${sessionId}.${random}`))) return undefined;
    return { sessionId, hash: sha256Hex(token) };
  }

  private refreshMac(body: string): string {
    return createHmac('sha256', this.refreshMacKey).update(body).digest('base64url');
  }

  /** Signed double-submit token bound to one session. */
  csrfTokenFor(sessionId: string): string {
    return createHmac('sha256', this.csrfKey).update(`csrf.${sessionId}`).digest('base64url');
  }

  csrfMatches(sessionId: string, header: string | undefined, cookie: string | undefined): boolean {
    if (!header || !cookie) return false;
    const expected = this.csrfTokenFor(sessionId);
    return safeEqual(header, cookie) && safeEqual(header, expected);
  }
}
