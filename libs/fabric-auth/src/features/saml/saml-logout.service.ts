import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { SAML } from '@node-saml/node-saml';
import type { Repository } from 'typeorm';
import { FabricClock } from '../../core/clock.js';
import { constantTimeEqual, deriveKey, hmacSha256 } from '../../core/crypto.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { SignedOut, SignOutHook } from '../../core/ports/sign-out-hook.js';
import { appendSetCookie, cookieValue, type HttpRequestLike, serializeCookie } from '../../core/request-info.js';
import { safeReturnPath } from '../../http/return-to.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { SessionEntity } from '../../schema/entities/session.entity.js';
import { SamlConnections } from './saml-connections.js';
import { requestSigning } from './saml-request-signing.js';

/** Short-lived marker set by `POST /auth/logout` for a session opened through a SAML connection. */
export const SAML_LOGOUT_COOKIE = 'fabric_saml_logout';
const LOGOUT_COOKIE_LIFETIME = 120;
const UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';

/**
 * SP-initiated single logout. The local session ends first and in every case, at
 * `POST /auth/logout` (revoked on every instance through the revocation log); this hook then
 * marks the browser, and `GET /auth/saml/logout` sends it to the IdP's SingleLogoutService
 * (HTTP-Redirect) with a LogoutRequest naming the session's NameID and SessionIndex. An IdP
 * without one, a marker missing, forged or expired, or a session still live: the browser
 * lands on `return_to` instead, signed out here all the same.
 */
@Injectable()
export class SamlLogoutService implements SignOutHook {
  private readonly logger = new Logger('FabricSaml');
  private readonly markerKey: Buffer;

  constructor(
    private readonly connections: SamlConnections,
    @InjectRepository(SessionEntity) private readonly sessionRows: Repository<SessionEntity>,
    private readonly clock: FabricClock,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
  ) {
    this.markerKey = deriveKey(options.secretKey, 'fabric-auth saml logout cookie');
  }

  /** The `SignOutHook`: a browser (cookie) session opened through a SAML connection is remembered for `GET /auth/saml/logout`. */
  async afterSignOut({ principal, sessionId, response }: SignedOut): Promise<void> {
    if (principal.authMethod !== 'cookie') return;
    const session = await this.sessionRows.findOne({ where: { id: sessionId }, select: { id: true, oidcProvider: true } });
    if (!session?.oidcProvider || !(await this.connections.ofSession(session.oidcProvider))) return;
    const body = `${sessionId}.${this.clock.now() + LOGOUT_COOKIE_LIFETIME * 1000}`;
    appendSetCookie(response, [this.cookie(`${body}.${this.mac(body)}`, LOGOUT_COOKIE_LIFETIME)]);
  }

  /** Where `GET /auth/saml/logout` sends the browser: the IdP's SingleLogoutService for the session it just ended, else `return_to`. */
  async logoutUrl(request: HttpRequestLike, response: unknown, returnTo: unknown): Promise<string> {
    const local = safeReturnPath(returnTo);
    const marker = cookieValue(request, SAML_LOGOUT_COOKIE);
    if (marker === undefined) return local;
    appendSetCookie(response, [this.cookie('', 0)]);
    const sessionId = this.openMarker(marker);
    if (!sessionId) return local;
    const session = await this.sessionRows.findOne({ where: { id: sessionId }, select: { id: true, revokedAt: true, oidcProvider: true, oidcSubject: true, oidcSid: true } });
    // Only a session that is over: the marker never signs anyone out at the IdP while our session lives.
    if (!session || session.revokedAt === null || !session.oidcProvider || !session.oidcSubject) return local;
    const connection = await this.connections.ofSession(session.oidcProvider);
    if (!connection) return local;
    try {
      const idp = await this.connections.metadata(connection);
      if (!idp.sloUrl) return local;
      const saml = new SAML({
        callbackUrl: this.connections.url(connection, 'acs'),
        entryPoint: idp.ssoUrl,
        logoutUrl: idp.sloUrl,
        issuer: this.connections.spEntityId(connection),
        idpCert: idp.certificates,
        ...requestSigning(connection.options),
      });
      // The IdP's LogoutResponse comes back to `…/slo`, which sends the browser on to RelayState (checked again there).
      // The session keeps the NameID and SessionIndex, not the NameID's format: `unspecified` lets the IdP match the value.
      const user = { issuer: idp.entityId, nameID: session.oidcSubject, nameIDFormat: UNSPECIFIED, ...(session.oidcSid ? { sessionIndex: session.oidcSid } : {}) };
      return await saml.getLogoutUrlAsync(user, local, {});
    } catch (error) {
      this.logger.warn(`SAML single logout with ${connection.name} skipped: ${(error as Error).message}`);
      return local;
    }
  }

  private openMarker(raw: string): string | null {
    const [sessionId, expiresAt, mac] = raw.split('.');
    if (!sessionId || !expiresAt || !mac || !constantTimeEqual(this.mac(`${sessionId}.${expiresAt}`), mac)) return null;
    return Number(expiresAt) > this.clock.now() ? sessionId : null;
  }

  private cookie(value: string, maxAgeSeconds: number): string {
    return serializeCookie(SAML_LOGOUT_COOKIE, value, { maxAgeSeconds, httpOnly: true, secure: this.options.secureCookies });
  }

  private mac(body: string): string {
    return hmacSha256(this.markerKey, body, 'base64url');
  }
}
