import { Logger } from '@nestjs/common';
import { createRequire } from 'node:module';
import { getPriority } from 'node:os';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { type FabricError, fabricError } from '../../core/fabric-error.js';
import { type Argon2Params, argon2Options, type HashEngine, inProcessHashEngine, KEY_BYTES, type ScryptParams, scryptOptions } from '../../core/password-hashes.js';

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
const os = require('node:os');
let nice;
if (process.platform === 'linux') {
  try {
    os.setPriority(0, Math.min(19, os.getPriority(0) + workerData.nice));
  } catch {}
}
try {
  nice = os.getPriority(0);
} catch {}
parentPort.postMessage({ nice });
const loaded = new Map();
const load = (path) => {
  if (!loaded.has(path)) loaded.set(path, require(path));
  return loaded.get(path);
};
parentPort.on('message', (job) => {
  try {
    if (job.kind === 'argon2') {
      const key = load(job.module).hashRawSync(job.password, job.options);
      parentPort.postMessage({ key });
    } else if (job.kind === 'scrypt') {
      const key = crypto.scryptSync(job.password, job.salt, job.length, job.options);
      parentPort.postMessage({ key });
    } else if (job.kind === 'bcryptHash') {
      parentPort.postMessage({ value: load(job.module).hashSync(job.password, job.cost) });
    } else {
      parentPort.postMessage({ value: load(job.module).compareSync(job.password, job.stored) });
    }
  } catch (error) {
    parentPort.postMessage({ error: { name: error?.name, message: String(error?.message ?? error), code: error?.code } });
  }
});
`;

/** A hashing thread stopped (crashed, or the app is shutting down) while it held the check: 503, the check can be retried. */
const hashThreadStopped = (cause?: unknown): FabricError => fabricError('authentication_unavailable', 'The password check was interrupted; retry', { cause });

type Job =
  | { kind: 'argon2'; module: string; password: string; options: object }
  | { kind: 'scrypt'; password: string; salt: Buffer; length: number; options: object }
  | { kind: 'bcryptHash'; module: string; password: string; cost: number }
  | { kind: 'bcryptCompare'; module: string; password: string; stored: string };

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
  /** Each hashing library's entry file as the app resolves it, looked up by the first job that needs it. */
  private readonly modules = new Map<string, string>();
  /** Set by close(): a check that got its slot during the shutdown starts no thread that nothing would end. */
  private closed = false;
  /** Why hashes run in the process instead (threads not allowed, a library the threads cannot find), once known. */
  private threadsUnavailable: unknown;
  private warnedAboutPriority = false;

  constructor(
    private readonly size: number,
    private readonly inProcess: HashEngine = inProcessHashEngine,
    private readonly warn: (message: string) => void = (message) => new Logger('FabricAuth').warn(message),
    private readonly spawn: (source: string, options: WorkerOptions) => Worker = (source, options) => new Worker(source, options),
  ) {}

  async argon2Key(password: string, salt: Buffer, p: Argon2Params): Promise<Buffer> {
    const module = this.resolve('@node-rs/argon2');
    const options = argon2Options(salt, p);
    const answer = module === undefined ? undefined : await this.run({ kind: 'argon2', module, password, options });
    return answer === undefined ? this.inProcess.argon2Key(password, salt, p) : keyOf(answer);
  }

  async scryptKey(password: string, salt: Buffer, p: ScryptParams): Promise<Buffer> {
    const options = scryptOptions(p);
    const answer = await this.run({ kind: 'scrypt', password, salt, length: KEY_BYTES, options });
    return answer === undefined ? this.inProcess.scryptKey(password, salt, p) : keyOf(answer);
  }

  async bcryptHash(password: string, cost: number): Promise<string> {
    const module = this.resolve('bcryptjs');
    const answer = module === undefined ? undefined : await this.run({ kind: 'bcryptHash', module, password, cost });
    return answer === undefined ? this.inProcess.bcryptHash(password, cost) : (answer as string);
  }

  async bcryptCompare(password: string, stored: string): Promise<boolean> {
    const module = this.resolve('bcryptjs');
    const answer = module === undefined ? undefined : await this.run({ kind: 'bcryptCompare', module, password, stored });
    return answer === undefined ? this.inProcess.bcryptCompare(password, stored) : (answer as boolean);
  }

  /**
   * Ends every thread. A job still running fails at once with hashThreadStopped (503): a thread in
   * native code ends only when its hash does, and the shutdown does not wait for that.
   */
  async close(): Promise<void> {
    this.closed = true;
    const threads = [...this.threads];
    this.threads.clear();
    this.idle.length = 0;
    for (const thread of threads) {
      thread.job?.reject(hashThreadStopped());
      thread.job = undefined;
    }
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }

  /** A thread's answer, or undefined when threads cannot run here and the caller hashes in the process. */
  private async run(job: Job): Promise<Buffer | Uint8Array | string | boolean | undefined> {
    if (this.closed) throw hashThreadStopped();
    const thread = this.idle.pop() ?? this.start();
    if (thread === undefined) return undefined;
    const answer = await new Promise<Answer>((resolve, reject) => {
      thread.worker.postMessage(job);
      thread.job = { resolve, reject };
      // Referenced while it works: a script awaiting a hash is not ended under it.
      thread.worker.ref();
    });
    if ('error' in answer) {
      const { name, message, code } = answer.error;
      const error = new (ERROR_TYPES[name ?? ''] ?? Error)(message);
      throw code === undefined ? error : Object.assign(error, { code });
    }
    return 'key' in answer ? answer.key : answer.value;
  }

  private start(): HashThread | undefined {
    if (this.threadsUnavailable !== undefined) return undefined;
    if (this.threads.size >= this.size) throw new Error(`HashWorkerPool: more than ${this.size} hashes at once (PasswordHasher hands out its slots)`);
    let worker: Worker;
    try {
      // Neither the command line's options nor NODE_OPTIONS (a worker reads it again): the app's
      // preloads (`-r`: APM agents, ts-node) do not run again in every hashing thread.
      worker = this.spawn(WORKER_SOURCE, { eval: true, execArgv: [], env: { ...process.env, NODE_OPTIONS: '' }, workerData: { nice: HASH_THREAD_NICE } });
    } catch (error) {
      // Node's permission model without --allow-worker, for one: hashes keep working, on libuv's pool.
      this.fallBack(error);
      return undefined;
    }
    const thread: HashThread = { worker };
    this.threads.add(thread);
    worker.on('message', (answer: Answer | { nice: number | undefined }) => {
      if ('nice' in answer) return this.checkPriority(answer.nice);
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

  /** A library's entry file for the threads; undefined (the process hashes) when it cannot be found from here, as in some bundled deployments. */
  private resolve(packageName: string): string | undefined {
    if (this.threadsUnavailable !== undefined) return undefined;
    const known = this.modules.get(packageName);
    if (known !== undefined) return known;
    try {
      const path = createRequire(import.meta.url).resolve(packageName);
      this.modules.set(packageName, path);
      return path;
    } catch (error) {
      this.fallBack(error);
      return undefined;
    }
  }

  private fallBack(reason: unknown): void {
    this.threadsUnavailable = reason;
    this.warn(`password hashes run on libuv's pool at the event loop's priority: hashing threads cannot run here (${reason instanceof Error ? reason.message : String(reason)})`);
  }

  /** Says once when a thread could not lower its priority below the event loop's (a process already at nice 19, a seccomp profile): SPEC §10's login storm bound is then not kept. */
  private checkPriority(threadNice: number | undefined): void {
    if (this.warnedAboutPriority || process.platform !== 'linux' || threadNice === undefined) return;
    let loopNice: number;
    try {
      loopNice = getPriority(0);
    } catch {
      return;
    }
    if (threadNice > loopNice) return;
    this.warnedAboutPriority = true;
    this.warn(`password hashes run at the event loop's priority (nice ${threadNice}): a login storm slows every other route`);
  }
}

const keyOf = (key: Buffer | Uint8Array | string | boolean) => Buffer.from(key as Uint8Array);
