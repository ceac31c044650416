// The webhooks section of `npm run bench` (issue 25): GET /auth/me p99 (Bearer, cached) while a
// steady stream of changes is made, on two demos (SQLite) alternated round by round: one with
// webhooks on and no endpoint, one with an endpoint taking every event whose receiver answers
// after 10 s. Sending happens outside any request, so the ratio should stay near 1.
//   BENCH_ROUNDS, BENCH_SECONDS as the other sections; BENCH_WEBHOOK_CHANGES changes per second (default 20).
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latency, login, median, ROUNDS, SECONDS, startDemo } from './support.js';

const RECEIVER_MS = 10_000;
const CHANGES_PER_SECOND = Number(process.env.BENCH_WEBHOOK_CHANGES ?? 20);

/** A receiver that answers 200 after RECEIVER_MS; counts what it was sent. */
async function slowReceiver() {
  const state = { received: 0, answered: 0 };
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      state.received++;
      setTimeout(() => {
        state.answered++;
        response.end('ok');
      }, RECEIVER_MS).unref();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { state, url: `http://127.0.0.1:${server.address().port}/hook`, stop: () => (server.closeAllConnections(), new Promise((r) => server.close(r))) };
}

async function call(base, token, method, path, body) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/**
 * Renames another user at CHANGES_PER_SECOND until `stop()`: each rename is an audited change, so an
 * event (not the admin, whose cached principal a change of its own would drop).
 */
function changeStream(base, token) {
  let running = true;
  let made = 0;
  const loop = (async () => {
    const started = performance.now();
    while (running) {
      const res = await call(base, token, 'PATCH', '/users/bench-subject', { full_name: `Bench ${made}` });
      if (res.status !== 200) throw new Error(`change failed: ${res.status} ${JSON.stringify(res.body)}`);
      made++;
      const due = started + (made * 1000) / CHANGES_PER_SECOND;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return made;
    },
  };
}

export async function runWebhooks() {
  const dir = mkdtempSync(join(tmpdir(), 'fabric-bench-webhooks-'));
  const receiver = await slowReceiver();
  const env = {
    FABRIC_AUTH__WEBHOOKS__ENABLED: 'true',
    FABRIC_AUTH__WEBHOOKS__ALLOW_PRIVATE_TARGETS: 'true',
    // The receiver answers, late: the attempts succeed, each holding its slot 10 s.
    FABRIC_AUTH__WEBHOOKS__REQUEST_TIMEOUT: '15',
  };
  const demos = [];
  try {
    for (const name of ['without', 'with']) {
      const demo = await startDemo(join(dir, name), env);
      const { token } = await login(demo.base, false);
      const subject = await call(demo.base, token, 'POST', '/users', { username: 'bench-subject', email: 'bench-subject@example.test', password: 'Bench-subject-passw0rd' });
      if (subject.status !== 201) throw new Error(`user creation failed: ${subject.status}`);
      demos.push({ name, ...demo, token });
    }
    const hooked = demos[1];
    const created = await call(hooked.base, hooked.token, 'POST', '/webhooks', { url: receiver.url, events: ['*'] });
    if (created.status !== 201) throw new Error(`webhook registration failed: ${created.status} ${JSON.stringify(created.body)}`);
    const me = (demo) => latency(`${demo.base}/api/v1/auth/me`, { authorization: `Bearer ${demo.token}` }, 4);
    for (const demo of demos) await me(demo); // warm-up: JIT, the principal cache
    const p99 = { without: [], with: [] };
    const changes = { without: 0, with: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      for (const demo of demos) {
        const stream = changeStream(demo.base, demo.token);
        await new Promise((r) => setTimeout(r, 300));
        p99[demo.name].push((await me(demo)).p99);
        changes[demo.name] += await stream.stop();
      }
      process.stderr.write(`webhooks round ${round + 1}/${ROUNDS}: /auth/me p99 without ${p99.without.at(-1)} ms, with ${p99.with.at(-1)} ms\n`);
    }
    const deliveries = await call(hooked.base, hooked.token, 'GET', `/webhooks/${created.body.id}/deliveries`);
    const waiting = deliveries.body.items.filter((d) => d.status !== 'succeeded').length;
    const without = median(p99.without);
    const withHook = median(p99.with);
    console.log(
      `\nGET /auth/me p99 (Bearer, cached; 4 connections, ${SECONDS}s × ${ROUNDS} rounds alternated) while ~${CHANGES_PER_SECOND} changes/s are made: ` +
        `without a webhook endpoint ${without} ms, with an endpoint whose receiver takes ${RECEIVER_MS / 1000} s per answer ${withHook} ms → ` +
        `${(withHook / Math.max(1, without)).toFixed(2)}× (issue 25: a slow receiver never slows an API call). ` +
        `The receiver got ${receiver.state.received} attempts and answered ${receiver.state.answered}; ` +
        `${changes.with} changes made, ${waiting} of the last ${deliveries.body.items.length} deliveries still waiting.`,
    );
  } finally {
    for (const demo of demos) demo.child.kill('SIGTERM');
    await Promise.all(demos.map((demo) => new Promise((resolve) => (demo.child.exitCode !== null ? resolve() : demo.child.once('exit', resolve)))));
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runWebhooks();
