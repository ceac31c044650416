import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { type FabricError, fabricError } from '../../core/fabric-error.js';
import { type Argon2Params, type HashEngine, KEY_BYTES, type ScryptParams, scryptMaxmem } from '../../core/password-hashes.js';

/**
 * How much the hashing threads lower their priority below the event loop's: added to the nice
 * value they start with, the process's (Linux: 0 by default, 19 the lowest priority). On a box with as many busy hashes as cores, hashes at the event loop's priority took
 * a core from it for as long as they ran, and /auth/me's p99 tripled during a login storm
 * (SPEC §10: at most 2×). Lowered, a hash yields whenever the event loop has work and still uses
 * every idle cycle. Not 19: at 19 a hash gets ~1.5% of a core against any other busy process of
 * the machine (CFS weights 15 against 1024); at 10 it keeps ~10% against each.
 */
export const HASH_THREAD_NICE = 10;

/**
 * What each thread runs: a CommonJS script (a worker's `eval` source), so that it runs the same
 * from the TypeScript source under a test runner and from the bundled dist/, where no file of its
 * own would be found next to the code that starts it. It lowers its own priority, where the
 * platform lowers only the calling thread's (Linux: setpriority on a thread id; elsewhere pid 0
 * is the whole process, so it is left alone), and runs one job at a time with the sync APIs: the
 * thread itself is the hash's thread, no other pool is involved. The hashing libraries are loaded
 * by the first job that needs one, from the paths the app resolved.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
if (process.platform === 'linux') {
  try {
    const os = require('node:os');
    os.setPriority(0, Math.min(19, os.getPriority(0) + workerData.nice));
  } catch {}
}
let argon2;
let bcrypt;
parentPort.on('message', (job) => {
  try {
    if (job.kind === 'argon2') {
      argon2 ??= require(workerData.modules.argon2);
      const key = argon2.hashRawSync(job.password, job.options);
      parentPort.postMessage({ key });
    } else if (job.kind === 'scrypt') {
      const key = crypto.scryptSync(job.password, job.salt, job.length, job.options);
      parentPort.postMessage({ key });
    } else if (job.kind === 'bcryptHash') {
      bcrypt ??= require(workerData.modules.bcrypt);
      parentPort.postMessage({ value: bcrypt.hashSync(job.password, job.cost) });
    } else {
      bcrypt ??= require(workerData.modules.bcrypt);
      parentPort.postMessage({ value: bcrypt.compareSync(job.password, job.stored) });
    }
  } catch (error) {
    parentPort.postMessage({ error: { name: error?.name, message: String(error?.message ?? error), code: error?.code } });
  }
});
`;

/** A hashing thread stopped (crashed, or the app is shutting down) while it held the check: 503, the check can be retried. */
const hashThreadStopped = (cause?: unknown): FabricError => fabricError('authentication_unavailable', 'The password check was interrupted; retry', { cause });

type Job =
  | { kind: 'argon2'; password: string; options: object }
  | { kind: 'scrypt'; password: string; salt: Buffer; length: number; options: object }
  | { kind: 'bcryptHash'; password: string; cost: number }
  | { kind: 'bcryptCompare'; password: string; stored: string };

type Answer = { key: Uint8Array } | { value: string | boolean } | { error: { name?: string; message: string; code?: string } };

interface HashThread {
  readonly worker: Worker;
  job?: { resolve: (answer: Answer) => void; reject: (error: Error) => void };
  /** Why it stopped, when it threw. */
  failure?: unknown;
}

const ERROR_TYPES: Record<string, ErrorConstructor> = { RangeError, TypeError };

/**
 * Password hashes on `size` threads of the library's own, at a lower scheduling priority than the
 * event loop (HASH_THREAD_NICE). Threads start with the first hash that needs one, so an app that
 * never hashes a password runs none, and `close()` ends them for good (the module's shutdown). It takes no
 * more jobs than it has threads and queues none: `PasswordHasher` hands out at most `size` slots,
 * and a job past that is a bug, refused. A thread that dies fails its job alone
 * (`authentication_unavailable`, 503) and the next job starts a new thread. An idle thread does not keep
 * the process alive.
 */
export class HashWorkerPool implements HashEngine {
  private readonly threads = new Set<HashThread>();
  private readonly idle: HashThread[] = [];
  private modules: { argon2: string; bcrypt: string } | undefined;
  /** Set by close(): a check that got its slot during the shutdown starts no thread that nothing would end. */
  private closed = false;

  constructor(private readonly size: number) {}

  async argon2Key(password: string, salt: Buffer, p: Argon2Params): Promise<Buffer> {
    // 2 is Argon2id and 1 is version 0x13, as the in-process derivation (core/password-hashes.ts).
    const options = { algorithm: 2, version: 1, memoryCost: p.memory, timeCost: p.iterations, parallelism: p.parallelism, outputLen: KEY_BYTES, salt };
    return keyOf(await this.run({ kind: 'argon2', password, options }));
  }

  async scryptKey(password: string, salt: Buffer, p: ScryptParams): Promise<Buffer> {
    const options = { N: 2 ** p.cost, r: p.blockSize, p: p.parallelism, maxmem: scryptMaxmem(p) };
    return keyOf(await this.run({ kind: 'scrypt', password, salt, length: KEY_BYTES, options }));
  }

  async bcryptHash(password: string, cost: number): Promise<string> {
    return (await this.run({ kind: 'bcryptHash', password, cost })) as string;
  }

  async bcryptCompare(password: string, stored: string): Promise<boolean> {
    return (await this.run({ kind: 'bcryptCompare', password, stored })) as boolean;
  }

  /** Ends every thread; a job still running, or given after, fails with hashThreadStopped (503). */
  async close(): Promise<void> {
    this.closed = true;
    const threads = [...this.threads];
    this.threads.clear();
    this.idle.length = 0;
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }

  private async run(job: Job): Promise<Buffer | Uint8Array | string | boolean> {
    if (this.closed) throw hashThreadStopped();
    const thread = this.idle.pop() ?? this.start();
    const answer = await new Promise<Answer>((resolve, reject) => {
      thread.job = { resolve, reject };
      // Referenced while it works: a script awaiting a hash is not ended under it.
      thread.worker.ref();
      thread.worker.postMessage(job);
    });
    if ('error' in answer) {
      const { name, message, code } = answer.error;
      const error = new (ERROR_TYPES[name ?? ''] ?? Error)(message);
      throw code === undefined ? error : Object.assign(error, { code });
    }
    return 'key' in answer ? answer.key : answer.value;
  }

  private start(): HashThread {
    if (this.threads.size >= this.size) throw new Error(`HashWorkerPool: more than ${this.size} hashes at once (PasswordHasher hands out its slots)`);
    this.modules ??= resolveHashModules();
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { nice: HASH_THREAD_NICE, modules: this.modules } });
    const thread: HashThread = { worker };
    this.threads.add(thread);
    worker.on('message', (answer: Answer) => {
      const job = thread.job;
      thread.job = undefined;
      worker.unref();
      if (this.threads.has(thread)) this.idle.push(thread);
      job?.resolve(answer);
    });
    worker.on('error', (error) => (thread.failure = error));
    worker.on('exit', () => {
      this.threads.delete(thread);
      const at = this.idle.indexOf(thread);
      if (at >= 0) this.idle.splice(at, 1);
      thread.job?.reject(hashThreadStopped(thread.failure));
      thread.job = undefined;
    });
    return thread;
  }
}

/** The two hashing libraries' entry files, as the app resolves them (the threads' own `require` would look from the working directory). */
function resolveHashModules(): { argon2: string; bcrypt: string } {
  const require = createRequire(import.meta.url);
  return { argon2: require.resolve('@node-rs/argon2'), bcrypt: require.resolve('bcryptjs') };
}

const keyOf = (key: Buffer | Uint8Array | string | boolean) => Buffer.from(key as Uint8Array);
