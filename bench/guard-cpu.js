// The `cpu` section of `npm run bench` (also alone after `npm run build`: `node bench/guard-cpu.js`):
// µs of CPU per request of each guarded route, served in this one process without a socket: the
// load of other processes moves it less than req/s (it still raises every route's figure on a busy
// machine, so compare routes, and builds, within one run or alternated runs only). The demo app
// (dist/) runs on Express and on Fastify; every request goes through Nest's whole pipeline
// (light-my-request: Fastify's `inject`, and the same injector over Express's request handler).
// Routes are alternated in blocks, `process.cpuUsage()` read around each block; the table gives
// the median per route and its difference from the adapter's unguarded route and pass-through guard.
//   BENCH_CPU_REQUESTS per route and adapter (default 30000), BENCH_CPU_BLOCK requests per block
//   (default 250), BENCH_CPU_ADAPTERS (default express,fastify), BENCH_CPU_ROUTES (names, default
//   all; comma-separated), BENCH_CPU_PROFILE=1 to serve the chosen routes without measuring, after the
//   warm-up, for `node --cpu-prof` (it prints the window to read in the profile).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import inject from 'light-my-request';
import { ORGS_DEMO_CONFIG } from './orgs.js';
import { ADMIN_PASSWORD, median } from './support.js';

const REQUESTS = Number(process.env.BENCH_CPU_REQUESTS ?? 30_000);
const BLOCK = Number(process.env.BENCH_CPU_BLOCK ?? 250);
/**
 * The revocation poll and every timer of the app need the event loop: a loop that never yields
 * distrusts every cache after ~1.9 s, and the routes would be measured on their miss path.
 */
const YIELD_EVERY = 64;
const ORG_USER = { username: 'bench-orgs', password: 'Bench-orgs-passw0rd' };

async function createDemo(adapter, dir) {
  Object.assign(process.env, {
    DATA_DIR: dir,
    CONFIG_FILE: join(dir, 'config.yaml'),
    FABRIC_AUTH__SECRET_KEY: 'bench-secret-8d2f6a1c9e4b7d3f0a5c2e8b',
    FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: ADMIN_PASSWORD,
    FABRIC_SERVER__RATE_LIMITS: 'false',
    DEMO_BENCH_ROUTES: '1',
  });
  writeFileSync(join(dir, 'config.yaml'), ORGS_DEMO_CONFIG);
  const dist = (file) => pathToFileURL(join(process.cwd(), 'dist/apps/demo', file)).href;
  const { loadDemoConfig } = await import(dist('demo-config.js'));
  const { DemoAppModule } = await import(dist('app.module.js'));
  const { configureHttp } = await import(dist('http-setup.js'));
  const { DataSource } = await import('typeorm');
  const { passwordHashSettings, upsertSystemAdmin } = await import('nestjs-fabric-auth');
  const config = loadDemoConfig();
  const options = { bodyParser: false, logger: ['error', 'warn'] };
  const module = DemoAppModule.register(config);
  const app = adapter === 'fastify' ? await NestFactory.create(module, new FastifyAdapter(), options) : await NestFactory.create(module, options);
  configureHttp(app);
  await app.init();
  await upsertSystemAdmin(app.get(DataSource), {
    username: config.options.systemAdminUsername,
    password: ADMIN_PASSWORD,
    email: config.options.systemAdminEmail,
    hashing: passwordHashSettings(config.options),
  });
  const instance = app.getHttpAdapter().getInstance();
  if (adapter === 'fastify') await instance.ready();
  // Fastify's own inject; on Express the same injector drives the app's request handler.
  const send = adapter === 'fastify' ? (request) => instance.inject(request) : (request) => inject(instance, request);
  return { app, send };
}

async function json(send, method, url, headers, body) {
  const res = await send({
    method,
    url: `/api/v1${url}`,
    headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
    payload: body ? JSON.stringify(body) : undefined,
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.payload}`);
  return { body: res.json(), cookies: res.cookies ?? [], headers: res.headers };
}

const bearer = (token) => ({ authorization: `Bearer ${token}` });

/** Logs in (admin, a viewer in an organization), makes an API key and an org token; returns the routes. */
async function routesOf(send) {
  const token = (await json(send, 'POST', '/auth/token', {}, { grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD })).body.access_token;
  const browser = await json(send, 'POST', '/auth/token', {}, { grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD, set_cookies: true });
  const cookie = [browser.headers['set-cookie']]
    .flat()
    .map((line) => line.split(';')[0])
    .join('; ');
  const apiKey = (await json(send, 'POST', '/users/admin/api-keys', bearer(token), { name: `bench-cpu-${Date.now()}` })).body.key;
  await json(send, 'POST', '/users', bearer(token), { ...ORG_USER, email: `${ORG_USER.username}@example.test`, roles: ['viewer'] });
  await json(send, 'POST', '/orgs', bearer(token), { slug: 'bench-org', name: 'Bench Org' });
  await json(send, 'POST', '/orgs/bench-org/members', bearer(token), { username: ORG_USER.username, roles: ['member'] });
  const viewer = (await json(send, 'POST', '/auth/token', {}, { grant_type: 'password', ...ORG_USER })).body.access_token;
  const orgToken = (await json(send, 'POST', '/auth/token', bearer(viewer), { grant_type: 'organization', organization: 'bench-org' })).body.access_token;
  const of = (name, path, headers) => ({ name, request: { method: 'GET', url: `/api/v1/demo/${path}`, headers } });
  return [
    of('unguarded', 'bench/unguarded', {}),
    of('pass-through guard', 'bench/pass-through', bearer(token)),
    of('Bearer', 'bench/guarded', bearer(token)),
    of('cookie', 'bench/guarded', { cookie }),
    of('X-API-Key', 'bench/guarded', { 'x-api-key': apiKey }),
    of('reports without organization', 'reports', bearer(viewer)),
    of('org/reports with org token', 'org/reports', bearer(orgToken)),
  ];
}

/** Serves `count` requests of one route; µs of this process's CPU (user + system) per request. */
async function block(send, route, count) {
  const started = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const res = await send(route.request);
    if (res.statusCode !== 200) throw new Error(`${route.name}: ${res.statusCode} ${res.payload}`);
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await setImmediate();
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / count;
}

export async function runGuardCpu() {
  const adapters = (process.env.BENCH_CPU_ADAPTERS ?? 'express,fastify').split(',');
  const only = process.env.BENCH_CPU_ROUTES?.split(',');
  const dir = mkdtempSync(join(tmpdir(), 'fabric-bench-cpu-'));
  const demos = [];
  try {
    for (const adapter of adapters) {
      // One app per adapter, each with its own SQLite file.
      const own = join(dir, adapter);
      mkdirSync(own);
      const demo = await createDemo(adapter, own);
      const routes = (await routesOf(demo.send)).filter((route) => !only || only.includes(route.name));
      demos.push({ adapter, ...demo, routes });
    }
    const all = demos.flatMap((demo) => demo.routes.map((route) => ({ demo, route, samples: [] })));
    for (const entry of all) await block(entry.demo.send, entry.route, BLOCK); // warm-up: JIT, caches
    if (process.env.BENCH_CPU_PROFILE === '1') {
      // The window to read in the profile: its timestamps and process.hrtime share the monotonic clock (µs).
      const start = process.hrtime.bigint() / 1000n;
      for (let done = 0; done < REQUESTS; done += BLOCK) for (const entry of all) await block(entry.demo.send, entry.route, BLOCK);
      process.stderr.write(`profile window: ${JSON.stringify({ start: Number(start), end: Number(process.hrtime.bigint() / 1000n), requests: REQUESTS * all.length })}\n`);
      return;
    }
    const rounds = Math.ceil(REQUESTS / BLOCK);
    for (let round = 0; round < rounds; round++) {
      // Each round in another order, so that a drift falls on every route alike.
      const order = all.map((_, i) => (i + round) % all.length);
      for (const i of round % 2 ? order.reverse() : order) all[i].samples.push(await block(all[i].demo.send, all[i].route, BLOCK));
    }
    console.log(
      `\nCPU per request, in process (light-my-request), ${rounds} blocks × ${BLOCK} requests per route, alternated; medians of the blocks and of the per-round differences\n`,
    );
    console.log('| adapter | route | µs/request | − unguarded | − pass-through guard |');
    console.log('|---|---|---|---|---|');
    for (const { adapter } of demos) {
      const mine = all.filter((entry) => entry.demo.adapter === adapter);
      const of = (name) => mine.find((entry) => entry.route.name === name);
      // Paired by round: the load of other processes moves the CPU time of one block, less that of one round's neighbours.
      const cost = (entry, base) => (base ? median(entry.samples.map((value, round) => value - base.samples[round])).toFixed(1) : 'n/a');
      for (const entry of mine) {
        console.log(`| ${adapter} | ${entry.route.name} | ${median(entry.samples).toFixed(1)} | ${cost(entry, of('unguarded'))} | ${cost(entry, of('pass-through guard'))} |`);
      }
      const plain = of('reports without organization');
      const scoped = of('org/reports with org token');
      if (plain && scoped)
        console.log(`| ${adapter} | org-scoped / plain (issue 22: ≤ 1.05) | ${median(scoped.samples.map((value, round) => value / plain.samples[round])).toFixed(3)} | | |`);
    }
  } finally {
    for (const { app } of demos) await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await runGuardCpu();
