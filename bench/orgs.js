// The organizations section of `npm run bench` (issue 22 item 6; also runnable alone after
// `npm run build`: `BENCH_ORG_SCALE=1000 node bench/orgs.js`). On PostgreSQL, loads with SQL
// BENCH_ORG_SCALE organizations (default 10,000) of 100 members each, and one user in 1,000 of
// them; prints p50/p99 of the org lists (first page and a cursor page ~90% deep) beside a cached
// GET /auth/me, as the scale section does, then an org-scoped route against the same kind of
// route without an organization, alternated in one run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { api, deepCursor, listCases, printLatencies } from './scale.js';
import { CONNECTIONS, login, measure, median, POSTGRES_URL, ROUNDS, SECONDS, startDemo } from './support.js';

const ORGS = Number(process.env.BENCH_ORG_SCALE ?? 10_000);
const MEMBERS = 100;
/** The organizations the bench user belongs to: 1,000, or all of them on a smaller run. */
const USER_ORGS = Math.min(1_000, ORGS);
/**
 * Accounts the members are drawn from: as many as organizations (at least MEMBERS), so that at
 * full scale every account is in about 100 organizations and no organization holds one twice.
 */
const POOL = Math.max(MEMBERS, ORGS);
const BENCH_USER = 'bench-orgs';
const BENCH_PASSWORD = 'Bench-orgs-passw0rd';

// The demo's own permission in every template role, so the org-scoped demo route answers members
// (bench/guard-cpu.js runs the demo with it too).
export const ORGS_DEMO_CONFIG = `auth:
  system_admin_username: admin
  roles:
    viewer: [reports:read]
  organizations:
    enabled: true
    roles:
      owner: [org:manage, org:members:manage, org:roles:manage, org:audit:read, org:service-accounts:manage, reports:read]
      admin: [org:members:manage, reports:read]
      member: [reports:read]
server:
  secure_cookies: false
`;

async function call(base, method, path, token, body) {
  const res = await fetch(api(base, path), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function loadOrganizations(url, userId) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const started = Date.now();
  const step = async (name, sql, parameters = []) => {
    const t0 = Date.now();
    const { rowCount } = await client.query(sql, parameters);
    process.stderr.write(`orgs: loaded ${name} (${rowCount ?? 0} rows) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    return rowCount;
  };
  // A wrong join would load a smaller, different shape and measure it quietly.
  const exactly = (name, rows, expected) => {
    if (rows !== expected) throw new Error(`orgs: ${name}: ${rows} rows loaded, ${expected} expected`);
  };
  try {
    await step(
      `${POOL} member accounts`,
      `INSERT INTO users (id, username, email, full_name, is_active, is_system_admin, email_verified, created_at, updated_at)
       SELECT uuid_generate_v4(), 'orgbench' || g, 'orgbench' || g || '@example.test', 'Org Bench ' || g, true, false, true, now(), now()
       FROM generate_series(0, $1::int - 1) g`,
      [POOL],
    );
    // slug_key is the look-alike key of the slug (organization-slug.ts): of these slugs only 0 → o and 1 → l apply.
    await step(
      `${ORGS} organizations`,
      `INSERT INTO organizations (id, slug, slug_key, name, mfa_required, created_at, updated_at)
       SELECT uuid_generate_v4(), 'bench-org-' || g, translate('bench-org-' || g, '01', 'ol'), 'Bench Org ' || g, false,
              now() - ((${ORGS} - g) || ' seconds')::interval, now()
       FROM generate_series(1, $1::int) g`,
      [ORGS],
    );
    // Organization g holds the pool's accounts g*7, g*7+1, … (mod the pool): 100 distinct ones.
    const memberships = await step(
      `${ORGS * MEMBERS} memberships`,
      `INSERT INTO organization_members (id, organization_id, user_id, created_at)
       SELECT uuid_generate_v4(), o.id, u.id, o.created_at + (m.j || ' milliseconds')::interval
       FROM organizations o
       CROSS JOIN generate_series(0, ${MEMBERS - 1}) m(j)
       JOIN users u ON u.username = 'orgbench' || ((substring(o.slug from 11)::int * 7 + m.j) % ${POOL})
       WHERE o.slug LIKE 'bench-org-%'`,
    );
    exactly('memberships', memberships, ORGS * MEMBERS);
    const own = await step(
      `the bench user in ${USER_ORGS} organizations`,
      `INSERT INTO organization_members (id, organization_id, user_id, created_at)
       SELECT uuid_generate_v4(), o.id, $1::uuid, o.created_at + interval '1 second'
       FROM organizations o WHERE o.slug LIKE 'bench-org-%' AND substring(o.slug from 11)::int <= $2::int`,
      [userId, USER_ORGS],
    );
    exactly("the bench user's memberships", own, USER_ORGS);
    // Each organization's first member is its owner, everyone else (the bench user too) a member.
    await step(
      'org roles',
      `INSERT INTO organization_member_roles (member_id, role, organization_id)
       SELECT m.id, CASE WHEN row_number() OVER (PARTITION BY m.organization_id ORDER BY m.created_at, m.id) = 1 THEN 'owner' ELSE 'member' END,
              m.organization_id
       FROM organization_members m`,
    );
    await step('ANALYZE', 'VACUUM ANALYZE');
    // The load's dirty pages written now: a spread checkpoint would otherwise write them (minutes at this size) under the measurements.
    await step('CHECKPOINT', 'CHECKPOINT').catch((error) => process.stderr.write(`orgs: CHECKPOINT refused (${error.message}): measured with it pending\n`));
    process.stderr.write(`orgs: PostgreSQL loaded in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  } finally {
    await client.end();
  }
}

/** The org-scoped route and the same route without an organization, alternated over ROUNDS rounds. */
async function orgScopedThroughput(base, plain, scoped) {
  const without = { url: api(base, '/demo/reports'), headers: { authorization: `Bearer ${plain}` } };
  const within = { url: api(base, '/demo/org/reports'), headers: { authorization: `Bearer ${scoped}` } };
  await measure(without.url, without.headers);
  await measure(within.url, within.headers);
  const samples = { without: [], within: [] };
  for (let round = 0; round < ROUNDS; round++) {
    // Each side first in every other round: whatever drifts within a round (the server warming
    // a cache, the client's own garbage) falls on both alike.
    const pair = round % 2 === 0 ? ['without', 'within'] : ['within', 'without'];
    for (const side of pair) {
      const route = side === 'without' ? without : within;
      samples[side].push(await measure(route.url, route.headers));
    }
    process.stderr.write(`orgs round ${round + 1}/${ROUNDS}: without ${Math.round(samples.without.at(-1))} / org-scoped ${Math.round(samples.within.at(-1))} req/s\n`);
  }
  return {
    without: median(samples.without),
    within: median(samples.within),
    // Cost: the plain route's rate over the org-scoped one's, per round (≤ 1.05 is at most 5 % more).
    cost: median(samples.without.map((value, round) => value / samples.within[round])),
  };
}

export async function runOrgs() {
  const dir = mkdtempSync(join(tmpdir(), 'fabric-bench-orgs-'));
  writeFileSync(join(dir, 'config.yaml'), ORGS_DEMO_CONFIG);
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  const scratch = `fabric_bench_orgs_${process.pid}`;
  await admin.query(`CREATE DATABASE ${scratch}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${scratch}`;
  const demo = await startDemo(join(dir, 'data'), { DATABASE_URL: url.toString(), CONFIG_FILE: join(dir, 'config.yaml') });
  try {
    const adminToken = (await login(demo.base, false)).token;
    const created = await call(demo.base, 'POST', '/users', adminToken, {
      username: BENCH_USER,
      email: `${BENCH_USER}@example.test`,
      password: BENCH_PASSWORD,
      roles: ['viewer'],
    });
    if (created.status !== 201) throw new Error(`bench user: ${created.status} ${JSON.stringify(created.body)}`);
    await loadOrganizations(url.toString(), created.body.id);
    const signIn = await fetch(api(demo.base, '/auth/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'password', username: BENCH_USER, password: BENCH_PASSWORD }),
    });
    if (signIn.status !== 200) throw new Error(`bench user login: ${signIn.status}`);
    const token = (await signIn.json()).access_token;
    const switched = await call(demo.base, 'POST', '/auth/token', token, { grant_type: 'organization', organization: 'bench-org-1' });
    if (switched.status !== 200) throw new Error(`grant_type=organization: ${switched.status} ${JSON.stringify(switched.body)}`);
    const orgToken = switched.body.access_token;
    const members = `/orgs/bench-org-1/members`;
    const lists = await listCases('PostgreSQL', demo, token, [
      [`the user's organizations (${USER_ORGS}), first page`, '/orgs'],
      [`the user's organizations (${USER_ORGS}), cursor ~90% deep`, `/orgs?cursor=${await deepCursor(demo.base, token, '/orgs', USER_ORGS)}`],
      [`an organization's members (${MEMBERS + 1}), first page`, members],
      [`an organization's members (${MEMBERS + 1}), cursor ~90% deep`, `${members}?cursor=${await deepCursor(demo.base, token, members, MEMBERS + 1)}`],
      [`an organization's members, the user's ${USER_ORGS}th organization`, `/orgs/bench-org-${USER_ORGS}/members`],
    ]);
    const throughput = await orgScopedThroughput(demo.base, token, orgToken);
    console.log(
      `\nOrganizations: ${ORGS} organizations × ${MEMBERS} members (${POOL} accounts), one user in ${USER_ORGS} of them, PostgreSQL ` +
        `(one connection, ${SECONDS}s per request and at least 3 requests; SPEC §10 list budget: p50 < 10 ms and ≤ 4× a cached GET /auth/me beside each)\n`,
    );
    printLatencies(lists);
    console.log(`\nOrg-scoped request, ${ROUNDS} rounds × ${SECONDS}s, ${CONNECTIONS} connections, alternated (issue 22: ≤ 1.05)\n`);
    console.log('| route | median req/s |');
    console.log('|---|---|');
    console.log(`| GET /demo/reports, no organization (reports:read held globally) | ${Math.round(throughput.without)} |`);
    console.log(`| GET /demo/org/reports, org token (reports:read held in bench-org-1) | ${Math.round(throughput.within)} |`);
    console.log(`\nCost of an organization — without / org-scoped, median of the per-round ratios: ${throughput.cost.toFixed(3)}`);
  } finally {
    demo.child.kill('SIGTERM');
    await new Promise((resolve) => demo.child.once('exit', resolve));
    await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await runOrgs();
