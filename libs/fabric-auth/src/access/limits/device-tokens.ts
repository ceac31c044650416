import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { FabricClock } from '../../core/clock.js';
import { type HttpRequestLike, cookieValue, serializeCookie, appendSetCookie } from '../../core/request-info.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { isUuid } from '../../core/ids.js';
import { constantTimeEqual, hmacSha256 } from '../../core/crypto.js';

/** Cookie that carries a browser's device token. */
export const DEVICE_TOKEN_COOKIE = 'fabric_device';

const VERSION = 'd1';

/** The account a device token names, with what binds the token to its current password. */
export interface DeviceTokenOwner {
  id: string;
  passwordChangedAt: Date | null;
}

/**
 * Device tokens (SEC-87): proof that this client has signed in to this account before,
 * issued at every successful password login — as the HttpOnly cookie `fabric_device` for
 * browsers and as `device_token` in the token response for other clients. They grant
 * nothing by themselves; a login presenting one for the account it names is counted on
 * its own (account, device) counter instead of the (account, address) pair and the
 * account-wide one, so an attack on the account from anywhere else never locks its owner
 * out of a known client. `d1.<user id>.<device id>.<expiry>.<HMAC>`, signed with a key
 * derived from `secret_key` over the body and the owner's password epoch; nothing is stored.
 */
@Injectable()
export class DeviceTokens {
  private readonly key: Buffer;

  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly clock: FabricClock,
  ) {
    this.key = hmacSha256(options.secretKey, 'nestjs-fabric-auth device token v1', 'buffer');
  }

  get enabled(): boolean {
    return this.options.deviceTokenExpire > 0;
  }

  issue(user: DeviceTokenOwner): string | undefined {
    if (!this.enabled) return undefined;
    const expires = Math.floor(this.clock.now() / 1000) + this.options.deviceTokenExpire;
    const body = `${VERSION}.${user.id}.${randomBytes(16).toString('base64url')}.${expires}`;
    return `${body}.${this.mac(body, user)}`;
  }

  /** The device id when `token` is a valid, unexpired device token of `user` under its current password. */
  deviceOf(token: string | undefined, user: DeviceTokenOwner | undefined): string | undefined {
    if (!this.enabled || !token || !user || token.length > 200) return undefined;
    const userId = user.id;
    const parts = token.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION || !isUuid(parts[1])) return undefined;
    const [, owner, device, expires, mac] = parts as [string, string, string, string, string];
    if (!constantTimeEqual(this.mac(parts.slice(0, 4).join('.'), user), mac)) return undefined;
    if (owner !== userId || !/^\d{1,12}$/.test(expires) || Number(expires) * 1000 <= this.clock.now()) return undefined;
    return device;
  }

  /** The token a request presents: the `device_token` field it sent, else the cookie. */
  presented(request: HttpRequestLike, field?: string): string | undefined {
    return field ?? cookieValue(request, DEVICE_TOKEN_COOKIE);
  }

  setCookie(response: unknown, token: string): void {
    appendSetCookie(response, [serializeCookie(DEVICE_TOKEN_COOKIE, token, { maxAgeSeconds: this.options.deviceTokenExpire, httpOnly: true, secure: this.options.secureCookies })]);
  }

  /**
   * Signed with the owner's password epoch (when it was last set), not stored in the token:
   * a password change ends every device token issued before it (SEC-115), so a client that
   * knew the old password is no longer a known device for the new one.
   */
  private mac(body: string, owner: DeviceTokenOwner): string {
    return hmacSha256(this.key, `${body}|${owner.passwordChangedAt?.getTime() ?? 'never'}`, 'base64url');
  }
}
