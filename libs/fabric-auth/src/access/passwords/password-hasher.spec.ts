import crypto from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { hashRaw } from '@node-rs/argon2';
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword, hashPasswordWith, passwordHashSettings, verifyPassword, verifyPasswordWith } from '../../core/password-hashes.js';
import type { FabricAuthOptions } from '../../options/fabric-auth.options.js';
import { resolveFabricAuthOptions } from '../../options/resolve-options.js';
import { FabricError } from '../../core/fabric-error.js';
import { HASH_THREAD_NICE, HashWorkerPool } from './hash-worker-pool.js';
import { PasswordHasher } from './password-hasher.js';

const secrets = { secretKey: 'Hq3vN8xL5pR7tW1yB4dF6hK9mC2sZ0aE', systemAdminPassword: 'Hasher-admin-pass-1' };
const PASSWORD = 'Correct-horse-battery-9';

const open: Array<{ onApplicationShutdown(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((hasher) => hasher.onApplicationShutdown()));
});

function hasher(options: Partial<FabricAuthOptions> = {}): PasswordHasher {
  const made = new PasswordHasher(resolveFabricAuthOptions({ ...secrets, ...options }));
  open.push(made);
  return made;
}

/** The nice value of a thread, from its /proc stat line (field 19). */
const niceOf = (statPath: string) => Number(readFileSync(statPath, 'utf8').split(') ')[1].split(' ')[16]);
/** The nice values of this process's threads that run at another priority than the event loop's. */
function otherPriorityThreads(): number[] {
  const loop = niceOf('/proc/thread-self/stat');
  const nices: number[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      nices.push(niceOf(`/proc/self/task/${tid}/stat`));
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return nices.filter((nice) => nice !== loop);
}

/** The pool's threads, in the order they started (its internals: how a test reaches one to stop it). */
const threadsOf = (made: PasswordHasher) => [...(made as unknown as { threads: { threads: Set<{ worker: { terminate(): Promise<number> }; job?: unknown }> } }).threads.threads];

describe('PasswordHasher threads', () => {
  it.runIf(process.platform === 'linux')('hash on threads below the event loop’s priority, which end at shutdown', async () => {
    const made = hasher({ passwordHashConcurrency: 2 });
    expect(otherPriorityThreads()).toEqual([]);
    const stored = await hashPassword(PASSWORD, passwordHashSettings(resolveFabricAuthOptions(secrets)));
    await Promise.all([made.verify(PASSWORD, stored), made.verify(PASSWORD, stored)]);
    const lowered = Math.min(19, niceOf('/proc/thread-self/stat') + HASH_THREAD_NICE);
    expect(otherPriorityThreads()).toEqual([lowered, lowered]);
    await made.onApplicationShutdown();
    expect(otherPriorityThreads()).toEqual([]);
  });

  it.each([
    ['argon2id', {}],
    ['scrypt', { passwordHash: 'scrypt' as const }],
    ['bcrypt', { passwordHash: 'bcrypt' as const, bcryptCost: 10 }],
  ])('%s hashes made on the threads verify in process, and the other way', async (_name, options) => {
    const made = hasher(options);
    const onThreads = await made.hash(PASSWORD);
    expect(await verifyPassword(PASSWORD, onThreads)).toBe(true);
    const inProcess = await hashPassword(PASSWORD, passwordHashSettings(resolveFabricAuthOptions({ ...secrets, ...options })));
    expect(await made.verify(PASSWORD, inProcess)).toBe(true);
    expect(await made.verify(`${PASSWORD}x`, inProcess)).toBe(false);
    expect(await made.verify(PASSWORD, onThreads)).toBe(true);
  });

  it('a thread that dies fails only the check it held, with a 503, and the next check gets a new thread', async () => {
    const made = hasher({ passwordHashConcurrency: 2 });
    const stored = await made.hash(PASSWORD);
    const first = made.verify(PASSWORD, stored);
    const second = made.verify(PASSWORD, stored);
    while (threadsOf(made).filter((thread) => thread.job).length < 2) await new Promise((resolve) => setImmediate(resolve));
    await threadsOf(made)[0].worker.terminate();
    const failed = await first.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(FabricError);
    expect(failed).toMatchObject({ code: 'authentication_unavailable' });
    expect((failed as FabricError).getStatus()).toBe(503);
    expect(await second).toBe(true);
    expect(await Promise.all([made.verify(PASSWORD, stored), made.verify(`${PASSWORD}x`, stored)])).toEqual([true, false]);
    expect(threadsOf(made)).toHaveLength(2);
  });
});

describe('HashWorkerPool', () => {
  it('refuses bad parameters with the error the in-process derivation gives', async () => {
    const pool = new HashWorkerPool(1);
    open.push({ onApplicationShutdown: () => pool.close() });
    const salt = Buffer.alloc(16, 1);
    const argon2 = { memory: 1, iterations: 1, parallelism: 1 };
    const expected = await hashRaw('x', { algorithm: 2, version: 1, memoryCost: 1, timeCost: 1, parallelism: 1, outputLen: 32, salt }).catch((error: Error) => error);
    await expect(pool.argon2Key('x', salt, argon2)).rejects.toThrow(expected);
    const scrypt = { cost: 13, blockSize: 8, parallelism: 2 ** 30 };
    let inProcess: NodeJS.ErrnoException | undefined;
    try {
      crypto.scryptSync('x', salt, 32, { N: 2 ** 13, r: 8, p: 2 ** 30, maxmem: 2 * 128 * 2 ** 13 * 8 });
    } catch (error) {
      inProcess = error as NodeJS.ErrnoException;
    }
    await expect(pool.scryptKey('x', salt, scrypt)).rejects.toMatchObject({ name: 'RangeError', code: inProcess?.code, message: inProcess?.message });
  });

  it('fails a check still hashing at once when it closes, without waiting for the hash to end', async () => {
    const pool = new HashWorkerPool(1);
    open.push({ onApplicationShutdown: () => pool.close() });
    // A thread already up (started, argon2 loaded), then the largest setting accepted: seconds of
    // work in native code, which terminate() cannot stop.
    await pool.argon2Key('x', Buffer.alloc(16, 1), { memory: 7_168, iterations: 5, parallelism: 1 });
    const running = pool.argon2Key('x', Buffer.alloc(16, 1), { memory: 262_144, iterations: 10, parallelism: 1 }).then(
      () => 'hashed',
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    void pool.close();
    const outcome = await Promise.race([running, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 1_000))]);
    expect(outcome).toMatchObject({ code: 'authentication_unavailable' });
  });

  it('hashes in the process, and says so once, where threads cannot start', async () => {
    const warnings: string[] = [];
    const denied = Object.assign(new Error('Access to this API has been restricted'), { code: 'ERR_ACCESS_DENIED' });
    const pool = new HashWorkerPool(
      2,
      undefined,
      (message) => warnings.push(message),
      () => {
        throw denied;
      },
    );
    open.push({ onApplicationShutdown: () => pool.close() });
    const settings = passwordHashSettings(resolveFabricAuthOptions(secrets));
    const stored = await hashPassword(PASSWORD, settings);
    expect(await verifyPasswordWith(pool, PASSWORD, stored)).toBe(true);
    expect(await verifyPasswordWith(pool, `${PASSWORD}x`, stored)).toBe(false);
    expect(await verifyPassword(PASSWORD, await hashPasswordWith(pool, PASSWORD, { ...settings, algorithm: 'scrypt' }))).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('Access to this API has been restricted');
  });
});
