// The scim section of `npm run bench` (issue 24 item 7; also runnable alone after `npm run build`:
// `BENCH_SCIM_USERS=5000 node bench/scim.js`). A full Microsoft Entra sync against the demo on a
// scratch PostgreSQL database, as the requests Entra sends, in BENCH_SCIM_LANES parallel lanes
// (default 8):
//   users:   GET /Users?filter=userName eq "…" (Entra's existence check) → POST /Users, for each user;
//   groups:  GET /Groups?excludedAttributes=members&filter=displayName eq "…" → POST /Groups (no members);
//   members: PATCH /Groups/{id} {"op":"Add","path":"members","value":[{"value":"…"}, …]} in chunks of
//            BENCH_SCIM_CHUNK member values (default 100).
// Then the list page latency near startIndex 1 and near the last user (its ratio: does offset paging
// hold at this size?), and the PostgreSQL plans of those lists and of the pre-create filters.
//   BENCH_SCIM_USERS (default 50000), BENCH_SCIM_GROUPS (default users / 25: 2,000 at full size),
//   each group holding 75 users (every user in 3 groups) and one group holding every user
//   (an "All employees" group, mapped to a role so its members' roles are reconciled).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { api } from './scale.js';
import { login, POSTGRES_URL, SECONDS, sequentialLatency, startDemo } from './support.js';

const USERS = Number(process.env.BENCH_SCIM_USERS ?? 50_000);
const GROUPS = Number(process.env.BENCH_SCIM_GROUPS ?? Math.max(1, Math.round(USERS / 25)));
const CHUNK = Number(process.env.BENCH_SCIM_CHUNK ?? 100);
const LANES = Number(process.env.BENCH_SCIM_LANES ?? 8);
const GROUP_SIZE = Math.min(75, USERS);
const PAGE = 100;
const ALL = 'All employees';

const CONFIG = `auth:
  system_admin_username: admin
  roles:
    viewer: [reports:read]
  scim:
    enabled: true
    role_mapping:
      "${ALL}": [viewer]
server:
  secure_cookies: false
`;

const SCIM_JSON = 'application/scim+json';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

function userBody(i) {
  const userName = `user${i}@contoso.test`;
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
    externalId: `oid-${i}`,
    userName,
    active: true,
    displayName: `User ${i}`,
    emails: [{ primary: true, type: 'work', value: userName }],
    meta: { resourceType: 'User' },
    name: { formatted: `User ${i}`, familyName: `${i}`, givenName: 'User' },
    title: 'Engineer',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: `${i}`, department: `Dept ${i % 40}` },
  };
}

/** `work(i)` for i in [0, count), in LANES lanes; the time it took in seconds. */
async function inLanes(count, work, label) {
  let next = 0;
  let done = 0;
  const started = performance.now();
  const progress = setInterval(() => process.stderr.write(`scim: ${label} ${done}/${count}\n`), 10_000);
  try {
    await Promise.all(
      Array.from({ length: LANES }, async () => {
        while (next < count) {
          await work(next++);
          done++;
        }
      }),
    );
  } finally {
    clearInterval(progress);
  }
  return (performance.now() - started) / 1000;
}

export async function runScim() {
  const dir = mkdtempSync(join(tmpdir(), 'fabric-bench-scim-'));
  writeFileSync(join(dir, 'config.yaml'), CONFIG);
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  const scratch = `fabric_bench_scim_${process.pid}`;
  await admin.query(`CREATE DATABASE ${scratch}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${scratch}`;
  const demo = await startDemo(join(dir, 'data'), { DATABASE_URL: url.toString(), CONFIG_FILE: join(dir, 'config.yaml') });
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  try {
    const { token } = await login(demo.base, false);
    const minted = await fetch(api(demo.base, '/scim-tokens'), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'entra' }),
    });
    if (minted.status !== 201) throw new Error(`SCIM token: ${minted.status} ${await minted.text()}`);
    const headers = { authorization: `Bearer ${(await minted.json()).key}`, 'content-type': SCIM_JSON };
    const scim = async (method, path, body, expected) => {
      const res = await fetch(api(demo.base, `/scim/v2${path}`), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      if (res.status !== expected) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
      return text ? JSON.parse(text) : undefined;
    };

    const userIds = new Array(USERS);
    const usersTime = await inLanes(
      USERS,
      async (i) => {
        const found = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "user${i}@contoso.test"`)}`, undefined, 200);
        if (found.totalResults !== 0) throw new Error(`user${i} exists before its creation`);
        userIds[i] = (await scim('POST', '/Users', userBody(i), 201)).id;
      },
      'users',
    );

    const names = [ALL, ...Array.from({ length: GROUPS }, (_, g) => `Group ${g}`)];
    const groupIds = new Array(names.length);
    const groupsTime = await inLanes(
      names.length,
      async (g) => {
        const found = await scim('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent(`displayName eq "${names[g]}"`)}`, undefined, 200);
        if (found.totalResults !== 0) throw new Error(`${names[g]} exists before its creation`);
        groupIds[g] = (
          await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], externalId: `grp-${g}`, displayName: names[g], members: [] }, 201)
        ).id;
      },
      'groups',
    );

    // Group g (after "All employees") holds users g*step … g*step+74 (mod USERS); every chunk one PATCH.
    const step = Math.max(1, Math.floor(USERS / GROUPS));
    const patches = [];
    for (let start = 0; start < USERS; start += CHUNK) patches.push([0, userIds.slice(start, start + CHUNK)]);
    for (let g = 0; g < GROUPS; g++) {
      const members = Array.from({ length: GROUP_SIZE }, (_, k) => userIds[(g * step + k) % USERS]);
      for (let start = 0; start < members.length; start += CHUNK) patches.push([g + 1, members.slice(start, start + CHUNK)]);
    }
    let memberships = 0;
    const membersTime = await inLanes(
      patches.length,
      async (p) => {
        const [g, members] = patches[p];
        await scim('PATCH', `/Groups/${groupIds[g]}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: members.map((value) => ({ value })) }] }, 200);
        memberships += members.length;
      },
      'member chunks',
    );

    const count = await db.query(
      'SELECT (SELECT COUNT(*) FROM scim_users) AS users, (SELECT COUNT(*) FROM scim_groups) AS groups, (SELECT COUNT(*) FROM scim_group_members) AS members',
    );
    const loaded = count.rows[0];
    if (Number(loaded.users) !== USERS || Number(loaded.groups) !== names.length || Number(loaded.members) !== memberships) {
      throw new Error(`scim: loaded ${JSON.stringify(loaded)}, expected ${USERS} users, ${names.length} groups, ${memberships} memberships`);
    }
    await db.query('VACUUM ANALYZE');
    // The load's dirty pages written now: a spread checkpoint would otherwise write them under the measurements.
    await db.query('CHECKPOINT').catch((error) => process.stderr.write(`scim: CHECKPOINT refused (${error.message}): measured with it pending\n`));

    const listHeaders = { authorization: headers.authorization };
    const deepStart = Math.max(1, USERS - PAGE + 1);
    const lists = [
      ['Users, startIndex=1', `/Users?startIndex=1&count=${PAGE}`],
      [`Users, startIndex=${deepStart}`, `/Users?startIndex=${deepStart}&count=${PAGE}`],
      [`Users, filter userName eq (user ${USERS - 1})`, `/Users?filter=${encodeURIComponent(`userName eq "user${USERS - 1}@contoso.test"`)}`],
      [`Users, filter emails.value eq (user ${USERS - 1})`, `/Users?filter=${encodeURIComponent(`emails.value eq "user${USERS - 1}@contoso.test"`)}`],
      ['Groups, startIndex=1, excludedAttributes=members', `/Groups?startIndex=1&count=${PAGE}&excludedAttributes=members`],
      [
        `Groups, startIndex=${Math.max(1, names.length - PAGE + 1)}, excludedAttributes=members`,
        `/Groups?startIndex=${Math.max(1, names.length - PAGE + 1)}&count=${PAGE}&excludedAttributes=members`,
      ],
    ];
    const latencies = [];
    for (const [name, path] of lists) {
      const target = api(demo.base, `/scim/v2${path}`);
      await sequentialLatency(target, listHeaders, Math.min(1, SECONDS), 3);
      latencies.push([name, await sequentialLatency(target, listHeaders, SECONDS, 5)]);
    }

    // The plans of the queries behind those lists (as the service writes them), on the data just synced.
    const plan = async (sql, parameters) => (await db.query(`EXPLAIN ${sql}`, parameters)).rows.map((row) => row['QUERY PLAN']);
    const scans = (lines) =>
      [
        ...new Set(
          lines
            .filter((line) => /Scan/.test(line))
            .map((line) =>
              line
                .trim()
                .replace(/^->\s*/, '')
                .replace(/\s+\(cost.*$/, ''),
            ),
        ),
      ].join('; ');
    const plans = [
      [
        'page ids at the last page',
        await plan(`SELECT u.id FROM scim_users u WHERE u.realm = $1 ORDER BY u.created_at ASC, u.id ASC OFFSET ${deepStart - 1} LIMIT ${PAGE}`, ['platform']),
      ],
      ['totalResults', await plan('SELECT COUNT(*) FROM scim_users u WHERE u.realm = $1', ['platform'])],
      ['userName eq', await plan('SELECT u.id FROM scim_users u WHERE u.realm = $1 AND u.user_name_key = $2', ['platform', 'user1@contoso.test'])],
      ['externalId eq', await plan('SELECT u.id FROM scim_users u WHERE u.realm = $1 AND u.external_id = $2', ['platform', 'oid-1'])],
      [
        'emails.value eq',
        await plan('SELECT u.id FROM scim_users u WHERE u.realm = $1 AND u.id IN (SELECT e.scim_user_id FROM scim_user_emails e WHERE e.realm = $1 AND e.email_key = $2)', [
          'platform',
          'user1@contoso.test',
        ]),
      ],
      ["a group's displayName eq", await plan('SELECT g.id FROM scim_groups g WHERE g.realm = $1 AND g.display_name_key = $2', ['platform', 'group 1'])],
    ];

    const shallow = latencies[0][1].p50;
    const deep = latencies[1][1].p50;
    console.log(
      `\nSCIM: an Entra-shaped sync of ${USERS} users and ${names.length} groups (${GROUPS} of ${GROUP_SIZE} users, one of all) into PostgreSQL, ` +
        `${LANES} lanes, member chunks of ${CHUNK}\n`,
    );
    console.log('| phase | requests | seconds | rate |');
    console.log('|---|---|---|---|');
    console.log(`| users (GET filter userName eq → POST) | ${USERS * 2} | ${usersTime.toFixed(1)} | ${(USERS / usersTime).toFixed(0)} users/s |`);
    console.log(`| groups (GET filter displayName eq → POST) | ${names.length * 2} | ${groupsTime.toFixed(1)} | ${(names.length / groupsTime).toFixed(0)} groups/s |`);
    console.log(
      `| members (PATCH add, ≤ ${CHUNK} a request) | ${patches.length} | ${membersTime.toFixed(1)} | ${(memberships / membersTime).toFixed(0)} memberships/s (${(patches.length / membersTime).toFixed(0)} PATCH/s) |`,
    );
    console.log(`\nList latency, one connection, ${SECONDS}s each (at least 5 requests)\n`);
    console.log('| request | p50 ms | p99 ms | requests |');
    console.log('|---|---|---|---|');
    for (const [name, result] of latencies) console.log(`| ${name} | ${result.p50} | ${result.p99} | ${result.requests} |`);
    console.log(`\nDeep page / first page (p50): ${(deep / shallow).toFixed(2)}× (startIndex ${deepStart} of ${USERS} against startIndex 1)`);
    console.log('\nPostgreSQL plans (EXPLAIN, scans only)\n');
    for (const [name, lines] of plans) console.log(`- ${name}: ${scans(lines)}`);
  } finally {
    await db.end();
    demo.child.kill('SIGTERM');
    await new Promise((resolve) => demo.child.once('exit', resolve));
    await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await runScim();
