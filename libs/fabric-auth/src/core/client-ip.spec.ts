import { describe, expect, it } from 'vitest';
import { invalidProxyEntry, TrustedProxies } from './client-ip.js';

const request = (remoteAddress: string, xff?: string) => ({ headers: xff ? { 'x-forwarded-for': xff } : {}, socket: { remoteAddress } });

describe('TrustedProxies', () => {
  it('ignores X-Forwarded-For from an untrusted peer', () => {
    expect(new TrustedProxies([]).clientAddress(request('10.0.0.5', '1.2.3.4'))).toBe('10.0.0.5');
    expect(new TrustedProxies(['10.0.0.1']).clientAddress(request('10.0.0.5', '1.2.3.4'))).toBe('10.0.0.5');
  });

  it('takes the nearest untrusted hop behind trusted proxies', () => {
    const proxies = new TrustedProxies(['10.0.0.0/8', '192.168.1.1']);
    expect(proxies.clientAddress(request('10.1.2.3', '6.6.6.6, 1.2.3.4, 192.168.1.1'))).toBe('1.2.3.4');
    expect(proxies.clientAddress(request('::ffff:10.1.2.3', 'garbage, 1.2.3.4'))).toBe('1.2.3.4');
  });

  it('keys IPv6 clients by /64 and unmaps IPv4-mapped addresses', () => {
    const proxies = new TrustedProxies([]);
    expect(proxies.clientKey(request('2001:db8:1:2:aaaa::1'))).toBe(proxies.clientKey(request('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')));
    expect(proxies.clientKey(request('2001:db8:1:2::1'))).not.toBe(proxies.clientKey(request('2001:db8:1:3::1')));
    expect(proxies.clientKey(request('::ffff:127.0.0.1'))).toBe('127.0.0.1');
  });

  it('validates configured entries', () => {
    for (const ok of ['10.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8']) expect(invalidProxyEntry(ok)).toBe(false);
    for (const bad of ['10.0.0.0/33', 'proxy.local', '10.0.0.1/8/1', '::/129', '10.0.0.0/x']) expect(invalidProxyEntry(bad)).toBe(true);
  });
});
