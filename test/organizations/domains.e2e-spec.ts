import { FABRIC_DNS_RESOLVER } from '../../libs/fabric-auth/src/core/fabric-auth.internal-constants.js';
import type { FabricDnsResolver } from '../../libs/fabric-auth/src/core/ports/dns-resolver.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, type TestApp } from '../support/test-app.js';
import { auth, itOnPostgres, orgWithOwner, slug, startOrgApp } from './org-app.js';

/**
 * What the test publishes in "DNS": TXT records per name, or the error a resolver would throw.
 * Names it never heard of do not exist (ENOTFOUND), as on the Internet.
 */
class PublishedDns implements FabricDnsResolver {
  readonly zone = new Map<string, string[][] | { code: string }>();
  readonly asked: string[] = [];

  resolveTxt(hostname: string): Promise<string[][]> {
    this.asked.push(hostname);
    const entry = this.zone.get(hostname);
    if (entry === undefined) return Promise.reject(Object.assign(new Error(`queryTxt ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    if (!Array.isArray(entry)) return Promise.reject(Object.assign(new Error(`queryTxt ${entry.code} ${hostname}`), entry));
    return Promise.resolve(entry);
  }
}

// SPEC §15/§16: /orgs/{org}/domains — claim, list, verify by a DNS TXT record (through the injected
// FABRIC_DNS_RESOLVER), confirm as a platform admin, delete; a verified domain belongs to one organization.
describe.each(DATABASES)('organization domain claims on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  const dns = new PublishedDns();
  const p = (n: number) => (kind.startsWith('postgres') ? `$${n}` : '?');
  beforeAll(async () => {
    t = await startOrgApp(kind, { organizations: { autoJoinDomains: true } }, [], (builder) => builder.overrideProvider(FABRIC_DNS_RESOLVER).useValue(dns));
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const domains = (org: string) => `${API}/orgs/${org}/domains`;
  const fresh = () => `${slug('dom')}.example`;
  const claim = (org: string, token: string, domain: string) => t.http.post(domains(org)).set(auth(token)).send({ domain });
  const verify = (org: string, token: string, domain: string) => t.http.post(`${domains(org)}/${domain}/verify`).set(auth(token));
  const publish = (domain: string, ...records: string[][]) => dns.zone.set(`_fabric-auth.${domain}`, records);

  async function auditOf(organizationId: string, action: string): Promise<Array<{ target_id: string; details: string | null; actor_id: string }>> {
    return t.dataSource.query(`SELECT target_id, details, actor_id FROM audit_events WHERE organization_id = ${p(1)} AND action = ${p(2)} ORDER BY occurred_at`, [
      organizationId,
      action,
    ]);
  }

  it('a claim answers the TXT record that proves it; spelled in Unicode, upper case or with a trailing dot it is stored in its ASCII form', async () => {
    const org = await orgWithOwner(t, admin);
    const label = slug('bücher');
    const created = await claim(org.slug, org.owner.token, `${label.toUpperCase()}.Example.`);
    expect(created.status).toBe(201);
    const ascii = new URL(`http://${label}.example`).hostname;
    expect(ascii.startsWith('xn--')).toBe(true);
    expect(created.body).toMatchObject({ domain: ascii, verified: false, verified_by: null, verified_at: null });
    expect(created.body.verification).toEqual({
      method: 'dns_txt',
      record_name: `_fabric-auth.${ascii}`,
      record_value: expect.stringMatching(/^fabric-auth-domain-verification=[0-9a-f]{32}$/),
    });
    const listed = await t.http.get(domains(org.slug)).set(auth(org.owner.token));
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([created.body]);
    // The same claim twice is a conflict; the path reads any spelling of it.
    expect((await claim(org.slug, org.owner.token, ascii)).status).toBe(409);
    const read = await t.http.get(`${domains(org.slug)}/${encodeURIComponent(`${label}.EXAMPLE`)}`).set(auth(org.owner.token));
    expect(read.status).toBe(200);
    expect(read.body.domain).toBe(ascii);
    expect((await auditOf(org.id, 'organization.domain.claim')).map((e) => e.target_id)).toEqual([ascii]);
  });

  it('bad domains are 400 and claim nothing: invisible characters, IP addresses, no dot, too long, not a string', async () => {
    const org = await orgWithOwner(t, admin);
    for (const domain of ['ex\u00ADample.com', 'exa\u200Bmple.com', '10.0.0.1', 'localhost', `${'a'.repeat(64)}.com`, `${'abc.'.repeat(70)}com`, 42, '', 'a b.com']) {
      const answer = await claim(org.slug, org.owner.token, domain as string);
      expect(answer.status, String(domain)).toBe(400);
    }
    expect((await t.http.get(domains(org.slug)).set(auth(org.owner.token))).body.items).toEqual([]);
  });

  it('verifies by the TXT record (chunked or among others); says what is wrong when it is missing or holds another token; a failing resolver is a 503', async () => {
    const org = await orgWithOwner(t, admin);
    const domain = fresh();
    const { record_value: value } = (await claim(org.slug, org.owner.token, domain)).body.verification;

    const missing = await verify(org.slug, org.owner.token, domain);
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain(`No TXT record at _fabric-auth.${domain}`);
    expect(missing.body.message).toContain(value);

    publish(domain, ['v=spf1 -all'], ['fabric-auth-domain-verification=0000']);
    const wrong = await verify(org.slug, org.owner.token, domain);
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toContain('(2) do not hold');

    dns.zone.set(`_fabric-auth.${domain}`, { code: 'ESERVFAIL' });
    const failing = await verify(org.slug, org.owner.token, domain);
    expect(failing.status).toBe(503);
    expect((await t.http.get(`${domains(org.slug)}/${domain}`).set(auth(org.owner.token))).body.verified).toBe(false);

    // A record longer than 255 characters arrives in chunks; the resolver joins them.
    publish(domain, ['v=spf1 -all'], [value.slice(0, 20), value.slice(20)]);
    const before = t.clock.now();
    const verified = await verify(org.slug, org.owner.token, domain);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ domain, verified: true, verified_by: 'dns', verification: null });
    expect(new Date(verified.body.verified_at).getTime()).toBeGreaterThanOrEqual(before);
    expect(new Date(verified.body.verified_at).getTime()).toBeLessThanOrEqual(t.clock.now());
    expect(dns.asked).toContain(`_fabric-auth.${domain}`);
    const [event] = await auditOf(org.id, 'organization.domain.verify');
    expect(event.target_id).toBe(domain);
    expect(event.details).toContain('dns');
    // Verifying again changes nothing and asks nobody.
    const asked = dns.asked.length;
    expect((await verify(org.slug, org.owner.token, domain)).status).toBe(200);
    expect(dns.asked.length).toBe(asked);
    expect(await auditOf(org.id, 'organization.domain.verify')).toHaveLength(1);
  });

  it('several organizations claim a domain; the first to verify holds it and the others get 409, their claim staying unverified', async () => {
    const a = await orgWithOwner(t, admin);
    const b = await orgWithOwner(t, admin);
    const domain = fresh();
    const tokenA = (await claim(a.slug, a.owner.token, domain)).body.verification.record_value;
    const tokenB = (await claim(b.slug, b.owner.token, domain)).body.verification.record_value;
    expect(tokenA).not.toBe(tokenB);
    // B's record does not verify A's claim.
    publish(domain, [tokenB]);
    expect((await verify(a.slug, a.owner.token, domain)).status).toBe(400);
    publish(domain, [tokenA], [tokenB]);
    expect((await verify(a.slug, a.owner.token, domain)).status).toBe(200);
    const taken = await verify(b.slug, b.owner.token, domain);
    expect(taken.status).toBe(409);
    expect(taken.body.message).toBe('The domain is verified by another organization');
    expect((await t.http.get(`${domains(b.slug)}/${domain}`).set(auth(b.owner.token))).body.verified).toBe(false);
    // A platform admin cannot hand it to B either.
    expect((await t.http.post(`${domains(b.slug)}/${domain}/confirm`).set(auth(admin))).status).toBe(409);
    // Once A gives it up, B verifies.
    expect((await t.http.delete(`${domains(a.slug)}/${domain}`).set(auth(a.owner.token))).status).toBe(204);
    expect((await verify(b.slug, b.owner.token, domain)).status).toBe(200);
  });

  itOnPostgres(kind, 'two organizations verifying one domain at once: exactly one wins, the other gets 409, never a 500', async () => {
    const orgs = await Promise.all(Array.from({ length: 6 }, () => orgWithOwner(t, admin)));
    const domain = fresh();
    const records: string[][] = [];
    for (const org of orgs) records.push([(await claim(org.slug, org.owner.token, domain)).body.verification.record_value]);
    publish(domain, ...records);
    const answers = await Promise.all(orgs.map((org) => verify(org.slug, org.owner.token, domain)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    const [{ count }] = await t.dataSource.query(`SELECT COUNT(*)::int AS count FROM organization_domains WHERE domain = $1 AND verified = TRUE`, [domain]);
    expect(count).toBe(1);
  });

  it('a platform admin confirms a claim without DNS, audited as such; an owner cannot, nor can an API key', async () => {
    const org = await orgWithOwner(t, admin);
    const domain = fresh();
    await claim(org.slug, org.owner.token, domain);
    const byOwner = await t.http.post(`${domains(org.slug)}/${domain}/confirm`).set(auth(org.owner.token));
    expect(byOwner.status).toBe(403);
    const confirmed = await t.http.post(`${domains(org.slug)}/${domain}/confirm`).set(auth(admin));
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ verified: true, verified_by: 'admin' });
    const [event] = await auditOf(org.id, 'organization.domain.verify');
    expect(event.details).toContain('as_platform_admin');
    expect(event.details).toContain('admin');
    expect(dns.asked).not.toContain(`_fabric-auth.${domain}`);
  });

  it('org:manage only: a member with other org roles gets 403, a stranger and another organization’s owner 404 on every route', async () => {
    const org = await orgWithOwner(t, admin);
    const other = await orgWithOwner(t, admin);
    const domain = fresh();
    await claim(org.slug, org.owner.token, domain);
    const member = await t.actor();
    await t.http
      .post(`${API}/orgs/${org.slug}/members`)
      .set(auth(admin))
      .send({ username: member.user.username, roles: ['admin'] });
    const stranger = await t.actor();
    const routes = [
      () => t.http.get(domains(org.slug)),
      () => t.http.post(domains(org.slug)).send({ domain: fresh() }),
      () => t.http.get(`${domains(org.slug)}/${domain}`),
      () => t.http.post(`${domains(org.slug)}/${domain}/verify`),
      () => t.http.post(`${domains(org.slug)}/${domain}/confirm`),
      () => t.http.delete(`${domains(org.slug)}/${domain}`),
    ];
    for (const route of routes) {
      expect((await route().set(auth(member.token))).status).toBe(403);
      expect((await route().set(auth(stranger.token))).status).toBe(404);
      expect((await route().set(auth(other.owner.token))).status).toBe(404);
    }
    // Another organization's claim through one's own organization: not found.
    expect((await t.http.get(`${domains(other.slug)}/${domain}`).set(auth(other.owner.token))).status).toBe(404);
    expect((await t.http.delete(`${domains(other.slug)}/${domain}`).set(auth(other.owner.token))).status).toBe(404);
    expect((await t.http.get(`${domains(org.slug)}/${domain}`).set(auth(org.owner.token))).body.verified).toBe(false);
  });

  it('a domain verified by DNS joins users with a verified email there at their next login (auto_join_domains); deleting the claim stops it', async () => {
    const org = await orgWithOwner(t, admin);
    const domain = fresh();
    publish(domain, [(await claim(org.slug, org.owner.token, domain)).body.verification.record_value]);
    expect((await verify(org.slug, org.owner.token, domain)).status).toBe(200);
    const joiner = await t.createUser();
    await t.dataSource.query(`UPDATE users SET email = ${p(1)}, email_verified = ${p(2)} WHERE id = ${p(3)}`, [`${joiner.user.username}@${domain}`, true, joiner.user.id]);
    await t.login(joiner.user.username, joiner.password);
    const members = await t.http.get(`${API}/orgs/${org.slug}/members`).set(auth(org.owner.token));
    expect(members.body.items.map((m: { username: string }) => m.username)).toContain(joiner.user.username);

    expect((await t.http.delete(`${domains(org.slug)}/${domain}`).set(auth(org.owner.token))).status).toBe(204);
    const late = await t.createUser();
    await t.dataSource.query(`UPDATE users SET email = ${p(1)}, email_verified = ${p(2)} WHERE id = ${p(3)}`, [`${late.user.username}@${domain}`, true, late.user.id]);
    await t.login(late.user.username, late.password);
    const after = await t.http.get(`${API}/orgs/${org.slug}/members`).set(auth(org.owner.token));
    expect(after.body.items.map((m: { username: string }) => m.username)).not.toContain(late.user.username);
    expect((await auditOf(org.id, 'organization.domain.delete')).map((e) => e.target_id)).toEqual([domain]);
  });

  it('PATCH /orgs/{org} with domains keeps each kept claim’s token and how it was verified', async () => {
    const org = await orgWithOwner(t, admin);
    const kept = fresh();
    const token = (await claim(org.slug, org.owner.token, kept)).body.verification.record_value;
    const added = fresh();
    const patched = await t.http
      .patch(`${API}/orgs/${org.slug}`)
      .set(auth(org.owner.token))
      .send({ domains: [{ domain: kept }, { domain: added }] });
    expect(patched.status).toBe(200);
    const listed = (await t.http.get(domains(org.slug)).set(auth(org.owner.token))).body.items;
    expect(listed.find((d: { domain: string }) => d.domain === kept).verification.record_value).toBe(token);
    expect(listed.find((d: { domain: string }) => d.domain === added).verification.record_value).toMatch(/^fabric-auth-domain-verification=[0-9a-f]{32}$/);
  });
});
