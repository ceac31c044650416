import { describe, expect, it } from 'vitest';
import { isPrivateAddress } from '../../core/private-address.js';
import { checkedAddress, webhookUrlProblem } from './webhook-targets.js';

describe('webhook targets', () => {
  it('knows the private, loopback, link-local and embedded-IPv4 addresses', () => {
    for (const address of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '64:ff9b::a00:1',
    ])
      expect(isPrivateAddress(address), address).toBe(true);
    for (const address of ['93.184.215.14', '1.1.1.1', '2606:4700:4700::1111', '::ffff:1.1.1.1']) expect(isPrivateAddress(address), address).toBe(false);
  });

  it('refuses http, credentials and literal private hosts unless private targets are allowed', () => {
    expect(webhookUrlProblem('https://hooks.example.com/x', false)).toBeUndefined();
    expect(webhookUrlProblem('http://hooks.example.com/x', false)).toBe('url must use https');
    expect(webhookUrlProblem('https://[::1]:8443/x', false)).toMatch(/private/);
    expect(webhookUrlProblem('https://a:b@hooks.example.com/x', false)).toMatch(/credentials/);
    expect(webhookUrlProblem('http://127.0.0.1:3000/x', true)).toBeUndefined();
  });

  it('at delivery, resolves the name and refuses one that resolves to a private address (rebinding)', async () => {
    await expect(checkedAddress('localhost', false)).rejects.toThrow(/private/);
    await expect(checkedAddress('localhost', true)).resolves.toMatchObject({ address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/) });
    await expect(checkedAddress('127.0.0.1', false)).rejects.toThrow(/private/);
  });
});
