import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export const DEMO_MAIN = resolve('dist/apps/demo/main.js');

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export interface DemoProcess {
  child: ChildProcess;
  output(): string;
  url: string;
  stop(): Promise<void>;
}

/** Where the process runs: the repository (as `npm start`) unless a test gives a clean directory. */
export interface DemoRun {
  cwd?: string;
}

/** Runs the built demo as `npm start` does, with only the given environment added. */
export async function startDemo(env: Record<string, string>, run: DemoRun = {}): Promise<DemoProcess> {
  const port = env.PORT ?? String(await freePort());
  const child = spawn(process.execPath, [DEMO_MAIN], {
    cwd: run.cwd,
    env: { PATH: process.env.PATH, NO_COLOR: '1', ...env, PORT: port },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`demo did not start:\n${output}`)), 30_000);
    const check = () => {
      if (output.includes('Listening on')) {
        clearTimeout(timer);
        done();
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`demo exited with ${code}:\n${output}`));
    });
  });
  return {
    child,
    output: () => output,
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/** Runs the demo expecting it to refuse to start; resolves with its exit code and output. */
export function runDemoExpectingFailure(env: Record<string, string>, run: DemoRun = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [DEMO_MAIN], { cwd: run.cwd, env: { PATH: process.env.PATH, NO_COLOR: '1', PORT: '0', ...env } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

/** One JSON request to a running demo under `/api/v1` (a Bearer token and a JSON body when given). */
export async function callDemo(instance: DemoProcess, method: string, path: string, token?: string, body?: object, headers: Record<string, string> = {}) {
  const res = await fetch(`${instance.url}/api/v1${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
    // A frozen dependency must fail the test, not hang it.
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** A password login on a running demo; throws unless it answers 200. */
export async function loginToDemo(instance: DemoProcess, username: string, password: string): Promise<{ access_token: string; refresh_token: string }> {
  const res = await callDemo(instance, 'POST', '/auth/token', undefined, { grant_type: 'password', username, password });
  if (res.status !== 200) throw new Error(`login ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { access_token: string; refresh_token: string };
}
