import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/login-then-close.mjs', import.meta.url));

/**
 * The hashing threads (README "Passwords", SPEC §10: a login storm does not raise other routes'
 * p99 by more than 2×) in a fresh process running the built package: a password login runs on
 * a thread below the event loop's priority, and `app.close()` ends those threads, so that the
 * process ends by itself right after, as it did before they existed.
 */
describe.runIf(process.platform === 'linux')('password hashing threads of the built package', () => {
  it('a login starts threads at a lower priority; after app.close() none is left and the process exits at once', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [FIXTURE], { env: { PATH: process.env.PATH, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let closedAt = 0;
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (!closedAt && out.includes('closed\n')) closedAt = performance.now();
    });
    // A process that a thread keeps alive is killed, and fails the exit checks below.
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const exit = await new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: performance.now() })));
    clearTimeout(killer);
    expect(out).toMatch(/^login 200\n/);
    // One check in flight at a time here: one thread started, below the event loop's priority.
    expect(/^before (\d+)$/m.exec(out)?.[1]).toBe('1');
    expect(/^after (\d+)$/m.exec(out)?.[1]).toBe('0');
    expect(exit.code).toBe(0);
    expect(closedAt).toBeGreaterThan(0);
    expect(exit.at - closedAt).toBeLessThan(2_000);
  });
});
