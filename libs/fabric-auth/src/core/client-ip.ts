import { BlockList, isIP } from 'node:net';
import { normalizeIp } from './throttler.js';
import { headerValue, type HttpRequestLike } from './request-info.js';

/** `::ffff:1.2.3.4` is the IPv4 client 1.2.3.4. */
function unmapped(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * Which addresses may speak for the client through `X-Forwarded-For`: the configured
 * proxies only (IPs or CIDRs). Anyone else's header is ignored, so rotating it changes nothing.
 */
export class TrustedProxies {
  private readonly list = new BlockList();
  private readonly empty: boolean;

  constructor(entries: readonly string[]) {
    this.empty = entries.length === 0;
    for (const entry of entries) {
      const [address, bits] = entry.split('/') as [string, string | undefined];
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(bits), family);
    }
  }

  has(address: string): boolean {
    if (this.empty) return false;
    const plain = unmapped(address);
    const family = isIP(plain);
    return family !== 0 && this.list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  }

  /** The client's address: the peer, or the nearest untrusted hop when the peer is a trusted proxy. */
  clientAddress(request: HttpRequestLike): string {
    let address = unmapped(request.socket?.remoteAddress ?? '');
    if (!this.has(address)) return address;
    const hops = (headerValue(request, 'x-forwarded-for') ?? '')
      .split(',')
      .map((hop) => unmapped(hop.trim()))
      .filter((hop) => isIP(hop) !== 0);
    while (hops.length > 0) {
      address = hops.pop()!;
      if (!this.has(address)) return address;
    }
    return address;
  }

  /** The key limits count under: the client's IPv4 address, or its IPv6 /64 (one subscriber). */
  clientKey(request: HttpRequestLike): string {
    const address = this.clientAddress(request);
    return isIP(address) === 6 ? normalizeIp(address) : address || 'unknown';
  }
}

/** Validates `server.trusted_proxies` entries (IP or CIDR). */
export function invalidProxyEntry(entry: string): boolean {
  const [address, bits, extra] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return true;
  if (bits === undefined) return false;
  const n = Number(bits);
  return !/^\d+$/.test(bits) || n > (family === 6 ? 128 : 32);
}
