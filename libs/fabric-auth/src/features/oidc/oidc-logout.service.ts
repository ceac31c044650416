import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { errors as joseErrors, type JWTPayload, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { type FindOptionsWhere, IsNull, LessThan, type Repository } from 'typeorm';
import { AuditService } from '../../data/audit.service.js';
import { OAuthError } from '../../http/oauth-error.js';
import { FabricClock } from '../../core/clock.js';
import { isUniqueViolation } from '../../data/db-errors.js';
import { appendSetCookie, cookieValue, type HttpRequestLike, serializeCookie } from '../../core/request-info.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { SessionEntity } from '../../schema/entities/session.entity.js';
import { SessionsService } from '../../access/sessions/sessions.service.js';
import { describeError, IdpUnreachableError, type OidcProvider, OidcClients } from './oidc-clients.js';
import { OidcLoginFailure } from './oidc-login.error.js';
import { OidcLogoutTokenEntity } from '../../schema/entities/oidc-logout-token.entity.js';
import { safeReturnPath } from '../../http/return-to.js';
import type { SignedOut, SignOutHook } from '../../core/ports/sign-out-hook.js';
import { constantTimeEqual, deriveKey, hmacSha256, sha256 } from '../../core/crypto.js';
import { FabricError, fabricError } from '../../core/fabric-error.js';

/** Short-lived marker set by `POST /auth/logout` for a session opened through a provider. */
export const OIDC_LOGOUT_COOKIE = 'fabric_oidc_logout';
const LOGOUT_COOKIE_LIFETIME = 120;
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** Seconds after its `iat` that a logout token is accepted (and its `jti` remembered). */
const LOGOUT_TOKEN_MAX_AGE = 600;
const MAX_LOGOUT_TOKEN_LENGTH = 16_384;
const LOGOUT_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const LOGOUT_TOKEN_TYPES = new Set([undefined, 'JWT', 'logout+jwt', 'application/logout+jwt']);

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 255 ? value : undefined;
}

/** Where a logout token was posted: a configured provider's route, or an organization's connection's. */
export type BackChannelEndpoint = { provider: string } | { organizationConnection: string };

class InvalidLogoutToken extends FabricError {
  constructor(detail: string) {
    super('invalid_logout_token', detail);
  }
}

/**
 * Logout that reaches the provider. RP-initiated (OIDC RP-Initiated Logout 1.0): after
 * `POST /auth/logout` ends a session opened through a provider, `GET /auth/oidc/logout`
 * sends the browser to the provider's `end_session_endpoint` with the session's ID token
 * as `id_token_hint`. Back-channel (OIDC Back-Channel Logout 1.0): the provider POSTs a
 * `logout_token`, validated like an ID token, and our sessions of that `sid` (or `sub`) end
 * on every instance.
 */
@Injectable()
export class OidcLogoutService implements SignOutHook {
  private readonly logger = new Logger('FabricOidc');
  private readonly markerKey: Buffer;

  constructor(
    private readonly clients: OidcClients,
    private readonly sessions: SessionsService,
    @InjectRepository(SessionEntity) private readonly sessionRows: Repository<SessionEntity>,
    @InjectRepository(OidcLogoutTokenEntity) private readonly usedTokens: Repository<OidcLogoutTokenEntity>,
    private readonly audit: AuditService,
    private readonly clock: FabricClock,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
  ) {
    this.markerKey = deriveKey(options.secretKey, 'fabric-auth oidc logout cookie');
  }

  /** The `SignOutHook`: after a logout of a browser (cookie) session, `GET /auth/oidc/logout` can end the provider's session too. */
  async afterSignOut({ principal, sessionId, response }: SignedOut): Promise<void> {
    if (principal.authMethod === 'cookie') await this.markEnded(response, sessionId);
  }

  /** Called when a session ends by logout: remembers it for `GET /auth/oidc/logout` when a provider opened it. */
  async markEnded(response: unknown, sessionId: string): Promise<void> {
    const session = await this.sessionRows.findOne({ where: { id: sessionId }, select: { id: true, oidcProvider: true } });
    if (!session?.oidcProvider) return;
    const body = `${sessionId}.${this.clock.now() + LOGOUT_COOKIE_LIFETIME * 1000}`;
    appendSetCookie(response, [
      serializeCookie(OIDC_LOGOUT_COOKIE, `${body}.${this.mac(body)}`, {
        maxAgeSeconds: LOGOUT_COOKIE_LIFETIME,
        httpOnly: true,
        secure: this.options.secureCookies,
      }),
    ]);
  }

  /**
   * Where `GET /auth/oidc/logout` sends the browser: the provider's end-session endpoint for
   * the session this browser just logged out of, else the local `return_to` (or `/`).
   */
  async endSessionUrl(request: HttpRequestLike, response: unknown, returnTo: unknown): Promise<string> {
    const local = safeReturnPath(returnTo);
    const marker = cookieValue(request, OIDC_LOGOUT_COOKIE);
    if (marker === undefined) return local;
    appendSetCookie(response, [serializeCookie(OIDC_LOGOUT_COOKIE, '', { maxAgeSeconds: 0, httpOnly: true, secure: this.options.secureCookies })]);
    const sessionId = this.openMarker(marker);
    if (!sessionId) return local;
    const session = await this.sessionRows.findOne({ where: { id: sessionId }, select: { id: true, revokedAt: true, oidcProvider: true, oidcIdToken: true } });
    // Only a session that is over: the marker never signs anyone out at the provider while our session lives.
    if (!session || session.revokedAt === null || !session.oidcProvider || !session.oidcIdToken) return local;
    // A configured provider, or an organization's connection (`org:…`) while it is enabled: one deleted or disabled since ends nothing there.
    const provider = await this.clients.ofSession(session.oidcProvider);
    if (!provider) return local;
    let config: client.Configuration;
    try {
      config = await this.clients.configuration(provider);
    } catch (error) {
      this.logger.warn(`RP-initiated logout with ${provider.name} skipped: ${describeError(error)}`);
      return local;
    }
    if (!config.serverMetadata().end_session_endpoint) return local;
    // The hint is spent: the row keeps no ID token once the browser has it.
    await this.sessionRows.update({ id: session.id }, { oidcIdToken: null });
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: session.oidcIdToken,
      ...(provider.options.postLogoutRedirectUri ? { post_logout_redirect_uri: provider.options.postLogoutRedirectUri } : {}),
    });
    return url.href;
  }

  /**
   * Back-Channel Logout 1.0 §2.6: a logout token signed by the provider's keys, for our
   * client, recent, with the back-channel event, a `sid` or `sub`, no `nonce`, and a `jti`
   * never seen before; then every session of ours it names ends. Returns how many.
   */
  async backChannelLogout(endpoint: BackChannelEndpoint, logoutToken: unknown, request: HttpRequestLike): Promise<number> {
    // A configured provider's name never holds a `/` (a `%2F` in the path would make `org/<id>` of one).
    const provider =
      'provider' in endpoint
        ? endpoint.provider.includes('/')
          ? undefined
          : await this.clients.provider(endpoint.provider)
        : endpoint.organizationConnection.includes('/')
          ? undefined
          : await this.clients.provider(`org/${endpoint.organizationConnection}`);
    if (!provider) throw fabricError('identity_provider_not_found', 'Unknown identity provider');
    let claims: { issuer: string; sid?: string; sub?: string };
    try {
      claims = await this.validate(provider, logoutToken);
    } catch (error) {
      if (error instanceof OidcLoginFailure || error instanceof IdpUnreachableError) {
        throw fabricError('issuer_unavailable', 'The identity provider could not be reached', { cause: error });
      }
      const reason = error instanceof InvalidLogoutToken ? error.message : describeError(error);
      this.logger.warn(`back-channel logout from ${provider.name} refused: ${reason}`);
      await this.audit.record({
        action: 'oidc.backchannel_logout',
        outcome: 'failure',
        actor: null,
        target: null,
        request,
        details: { provider: provider.providerName, reason: reason.slice(0, 200) },
      });
      throw new OAuthError('invalid_request', 'Invalid logout token');
    }
    const where: FindOptionsWhere<SessionEntity> = { oidcProvider: provider.providerName, revokedAt: IsNull() };
    if (claims.sid) where.oidcSid = claims.sid;
    if (claims.sub) where.oidcSubject = claims.sub;
    const live = await this.sessionRows.find({ where, select: { id: true, userId: true } });
    for (const session of live) await this.sessions.revoke(session.id, 'backchannel_logout');
    await this.audit.record({
      action: 'oidc.backchannel_logout',
      outcome: 'success',
      actor: null,
      target: live.length === 1 ? { type: 'session', id: live[0].id } : null,
      request,
      details: { provider: provider.providerName, sessions_revoked: live.length },
    });
    return live.length;
  }

  private async validate(provider: OidcProvider, logoutToken: unknown): Promise<{ issuer: string; sid?: string; sub?: string }> {
    if (typeof logoutToken !== 'string' || logoutToken.length === 0 || logoutToken.length > MAX_LOGOUT_TOKEN_LENGTH) {
      throw new InvalidLogoutToken('no logout_token');
    }
    const server = (await this.clients.configuration(provider)).serverMetadata();
    let payload: JWTPayload;
    let typ: string | undefined;
    try {
      // The keys its logins verify with (one copy, one cooldown, one bound): a key set that cannot be read is an outage, not a bad token.
      const verified = await jwtVerify(logoutToken, await this.clients.keyResolver(provider), {
        issuer: server.issuer,
        audience: provider.options.clientId,
        algorithms: LOGOUT_TOKEN_ALGORITHMS,
        clockTolerance: this.options.clockSkew,
        currentDate: new Date(this.clock.now()),
        maxTokenAge: LOGOUT_TOKEN_MAX_AGE,
        requiredClaims: ['iat', 'jti'],
      });
      payload = verified.payload;
      typ = verified.protectedHeader.typ;
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw new InvalidLogoutToken(`${error.code}: ${error.message}`);
      throw error;
    }
    if (!LOGOUT_TOKEN_TYPES.has(typ)) throw new InvalidLogoutToken(`typ ${typ}`);
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (audiences.some((aud) => aud !== provider.options.clientId)) throw new InvalidLogoutToken('untrusted audience');
    if (typeof payload.iat !== 'number' || payload.iat * 1000 > this.clock.now() + this.options.clockSkew * 1000) {
      throw new InvalidLogoutToken('iat in the future');
    }
    const events = payload.events as Record<string, unknown> | undefined;
    const event = typeof events === 'object' && events !== null && !Array.isArray(events) ? events[BACKCHANNEL_EVENT] : undefined;
    if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new InvalidLogoutToken('no back-channel logout event');
    if (payload.nonce !== undefined) throw new InvalidLogoutToken('nonce present');
    const sid = stringClaim(payload.sid);
    const sub = stringClaim(payload.sub);
    if ((payload.sid !== undefined && !sid) || (payload.sub !== undefined && !sub) || (!sid && !sub)) {
      throw new InvalidLogoutToken('needs a sid or sub');
    }
    const jti = stringClaim(payload.jti);
    if (!jti) throw new InvalidLogoutToken('jti');
    // An organization's connection spends its own jti space: an org admin naming some issuer reaches no other's.
    await this.spend(provider.organization ? `${provider.providerName}\n${server.issuer}` : server.issuer, jti, payload.iat);
    return { issuer: server.issuer, sid, sub };
  }

  /** A `jti` works once, on every instance: the row's primary key says it was used; rows go once too old to matter. */
  private async spend(issuer: string, jti: string, iat: number): Promise<void> {
    const now = this.clock.now();
    await this.usedTokens.delete({ expiresAt: LessThan(new Date(now)) });
    const tokenKey = sha256(`${issuer}\n${jti}`, 'hex');
    const expiresAt = new Date((iat + LOGOUT_TOKEN_MAX_AGE + this.options.clockSkew) * 1000);
    try {
      await this.usedTokens.insert({ tokenKey, expiresAt });
    } catch (error) {
      if (isUniqueViolation(error)) throw new InvalidLogoutToken('jti replayed');
      throw error;
    }
  }

  private openMarker(raw: string): string | undefined {
    const parts = raw.length <= 256 ? raw.split('.') : [];
    if (parts.length !== 3) return undefined;
    const body = `${parts[0]}.${parts[1]}`;
    if (!constantTimeEqual(this.mac(body), parts[2])) return undefined;
    return Number(parts[1]) > this.clock.now() ? parts[0] : undefined;
  }

  private mac(body: string): string {
    return hmacSha256(this.markerKey, body, 'base64url');
  }
}
