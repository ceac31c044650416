import { isIP } from 'node:net';
import { type CheckedAddress, checkedAddress as coreCheckedAddress } from '../../core/checked-address.js';
import { isPrivateAddress } from '../../core/private-address.js';

/** Why a URL is refused as a webhook target (at registration), or undefined. DNS is not consulted here. */
export function webhookUrlProblem(raw: string, allowPrivate: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'url must be an absolute URL';
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) return 'url must use https';
  if (url.username || url.password) return 'url must not hold credentials';
  if (url.hash) return 'url must not have a fragment';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && (isIP(host) ? isPrivateAddress(host) : host === 'localhost' || host.endsWith('.localhost'))) {
    return 'url must not point at a private, loopback or link-local address';
  }
  return undefined;
}

export class WebhookTargetRefused extends Error {}

/**
 * The address to connect to for `hostname`, by the core's rule (`checkedAddress`): resolved now
 * (at each delivery, so a name that rebinds to a private address after registration is caught),
 * every answer checked, the first one connected to (the request's `lookup` returns it, so the
 * connection goes where the check looked).
 */
export async function checkedAddress(hostname: string, allowPrivate: boolean): Promise<CheckedAddress> {
  try {
    return await coreCheckedAddress(hostname, allowPrivate);
  } catch (error) {
    throw new WebhookTargetRefused((error as Error).message);
  }
}
