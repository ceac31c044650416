import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
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
 * The address to connect to for `hostname`: resolved now (at each delivery, so a name that
 * rebinds to a private address after registration is caught), every answer checked, the first
 * one connected to (the request's `lookup` returns it, so the connection goes where the check looked).
 */
export async function checkedAddress(hostname: string, allowPrivate: boolean): Promise<{ address: string; family: number }> {
  const host = hostname.replace(/^\[|\]$/g, '');
  const answers = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true });
  if (answers.length === 0) throw new WebhookTargetRefused('the host name does not resolve');
  if (!allowPrivate && answers.some((a) => isPrivateAddress(a.address))) throw new WebhookTargetRefused('the host resolves to a private, loopback or link-local address');
  return answers[0];
}
