import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { AuditService } from '../../data/audit.service.js';
import { PermissionRegistry } from '../../access/permissions/permission-registry.js';
import { FabricClock } from '../../core/clock.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { FabricTransactions } from '../../data/transactions.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import type { Principal } from '../../core/principal.js';
import { AccessTokenPrincipals } from '../../access/principal/access-token-principals.js';
import { PrincipalService } from '../../access/principal/principal.service.js';
import { SessionEntity } from '../../schema/entities/session.entity.js';
import { SessionsService } from '../../access/sessions/sessions.service.js';
import { FabricAuthError } from '../../core/fabric-auth.error.js';
import { type AccessClaims, TokenService } from '../../access/tokens/token.service.js';
import { OAuthError } from '../../http/oauth-error.js';

export type TokenTypeHint = 'access_token' | 'refresh_token';

/** RFC 7662 §2.2; `{active: false}` carries nothing else. */
export type IntrospectionAnswer =
  | { active: false }
  | {
      active: true;
      token_type: TokenTypeHint;
      sub: string;
      username: string;
      kind: Principal['kind'];
      scope: string;
      permissions: string[];
      iss: string;
      aud: string;
      exp: number;
      iat: number;
      /** The session (a user's token). */
      sid?: string;
      /** RFC 8176 methods the session's login proved (`pwd`, `otp`, `hwk`, `mfa`, `fed`), when known. */
      amr?: string[];
      jti?: string;
      /** The service account (a client-credentials token). */
      client_id?: string;
    };

export interface TokenManagementRequest {
  token: string;
  hint: TokenTypeHint | undefined;
}

const KNOWN = new Set(['token', 'token_type_hint', 'client_id']);

/** `{token, token_type_hint?}`, form-encoded or JSON, refused in RFC 6749 shape when malformed. */
export function parseTokenManagementRequest(body: unknown): TokenManagementRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new OAuthError('invalid_request', 'expected a form-encoded or JSON body');
  const params = body as Record<string, unknown>;
  for (const [name, value] of Object.entries(params)) {
    if (!KNOWN.has(name)) throw new OAuthError('invalid_request', `unknown parameter: ${name.slice(0, 40)}`);
    if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} must be a string`);
  }
  const token = params.token as string | undefined;
  if (!token) throw new OAuthError('invalid_request', 'token is required');
  if (token.length > 4096) throw new OAuthError('invalid_request', 'token is too long');
  const hint = params.token_type_hint as string | undefined;
  // RFC 7009 §2.1: an unknown hint is not an error; the server searches every type.
  return { token, hint: hint === 'access_token' || hint === 'refresh_token' ? hint : undefined };
}

type Resolved = { type: 'access_token'; claims: AccessClaims; principal: Principal } | { type: 'refresh_token'; session: SessionEntity; principal: Principal };

/**
 * What a presented token is right now, for revocation (RFC 7009) and introspection
 * (RFC 7662): an access token that verifies and whose session and owner are live, or the
 * current refresh token of a live session. Anything else is nothing.
 */
@Injectable()
export class IssuedTokensService {
  constructor(
    private readonly tokens: TokenService,
    private readonly principals: PrincipalService,
    private readonly accessTokens: AccessTokenPrincipals,
    private readonly sessionsService: SessionsService,
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    private readonly registry: PermissionRegistry,
    private readonly audit: AuditService,
    private readonly clock: FabricClock,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly transactions: FabricTransactions,
  ) {}

  async introspect(request: TokenManagementRequest): Promise<IntrospectionAnswer> {
    const found = await this.resolve(request);
    if (found === undefined) return { active: false };
    const { principal } = found;
    const permissions = principal.isSystemAdmin ? this.registry.all() : [...principal.permissions].sort();
    const common = {
      active: true as const,
      sub: principal.id,
      username: principal.username,
      kind: principal.kind,
      scope: permissions.join(' '),
      permissions,
      iss: this.options.issuer,
      aud: this.options.audience,
      ...(principal.amr && principal.amr.length > 0 && { amr: [...principal.amr] }),
    };
    if (found.type === 'access_token') {
      const { claims } = found;
      const bound = claims.gty === undefined ? { sid: claims.sid } : { client_id: claims.sub };
      return { ...common, token_type: 'access_token', exp: claims.exp, iat: claims.iat, jti: claims.jti, ...bound };
    }
    const { session } = found;
    const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
    return { ...common, token_type: 'refresh_token', exp: seconds(session.expiresAt), iat: seconds(session.lastUsedAt), sid: session.id };
  }

  /**
   * Ends the session behind the token when `caller` owns it; when the request carried no
   * credential, holding the token is the proof (as for the refresh grant). Says nothing
   * either way (RFC 7009 §2.2 answers 200), but audits what it did.
   */
  async revoke(request: TokenManagementRequest, caller: Principal | undefined, http: HttpRequestLike): Promise<void> {
    const found = await this.resolve(request);
    if (found === undefined) return;
    const owner = found.principal;
    if (found.type === 'access_token' && found.claims.gty !== undefined) {
      // No session to end: a client-credentials token dies with its API key (revoke the key).
      return this.audit.record({
        action: 'token.revoke',
        outcome: 'failure',
        actor: caller ?? owner,
        target: { type: 'api_key', id: found.claims.sid },
        request: http,
        details: { reason: 'client-credentials token: revoke its API key' },
      });
    }
    if (caller !== undefined && (caller.kind !== owner.kind || caller.id !== owner.id)) {
      await this.audit.record({
        action: 'token.revoke',
        outcome: 'failure',
        actor: caller,
        target: { type: 'session', id: this.sessionOf(found) },
        request: http,
        details: { reason: 'not the owner' },
      });
      return;
    }
    const sessionId = this.sessionOf(found);
    // The revocation and its audit event commit together.
    await this.transactions.run(async (tx) => {
      await this.sessionsService.revoke(sessionId, 'token_revoked', tx);
      await this.audit.recordIn(tx, {
        action: 'token.revoke',
        outcome: 'success',
        actor: caller ?? owner,
        target: { type: 'session', id: sessionId },
        request: http,
        details: { token_type: found.type },
      });
    });
  }

  private sessionOf(found: Resolved): string {
    return found.type === 'access_token' ? found.claims.sid : found.session.id;
  }

  private async resolve(request: TokenManagementRequest): Promise<Resolved | undefined> {
    const order: TokenTypeHint[] = request.hint === 'refresh_token' ? ['refresh_token', 'access_token'] : ['access_token', 'refresh_token'];
    for (const type of order) {
      const found = type === 'access_token' ? await this.asAccessToken(request.token) : await this.asRefreshToken(request.token);
      if (found) return found;
    }
    return undefined;
  }

  private async asAccessToken(token: string): Promise<Resolved | undefined> {
    try {
      const claims = await this.tokens.verifyAccessToken(token);
      const principal = await this.accessTokens.forClaims(claims, 'jwt');
      return { type: 'access_token', claims, principal };
    } catch (error) {
      if (error instanceof FabricAuthError) return undefined;
      throw error;
    }
  }

  private async asRefreshToken(token: string): Promise<Resolved | undefined> {
    const presented = this.tokens.authenticRefreshToken(token);
    if (!presented) return undefined;
    const session = await this.sessions.findOne({ where: { id: presented.sessionId } });
    const now = this.clock.now();
    if (!session || session.revokedAt !== null || session.refreshTokenHash !== presented.hash) return undefined;
    if (session.expiresAt.getTime() <= now || session.absoluteExpiresAt.getTime() <= now) return undefined;
    try {
      // The owner must be live too: a deactivated user's refresh token is not active.
      const principal = await this.principals.forAccessClaims({ sub: session.userId, sid: session.id, jti: '', iat: 0, nbf: 0, exp: Number.MAX_SAFE_INTEGER }, 'jwt');
      return { type: 'refresh_token', session, principal };
    } catch (error) {
      if (error instanceof FabricAuthError) return undefined;
      throw error;
    }
  }
}
