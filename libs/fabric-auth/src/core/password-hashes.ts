import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { constantTimeEqual } from './crypto.js';

// Each hashing library is loaded by the first hash that needs it: an app that hashes with scrypt
// loads neither argon2's native addon nor bcryptjs (issue 21: what is not enabled is not loaded).
// argon2 is CommonJS: `require` hands back its exports object itself, as a static import did.
const require = createRequire(import.meta.url);
const loadArgon2 = () => require('@node-rs/argon2') as typeof import('@node-rs/argon2');
let bcryptModule: Promise<typeof import('bcryptjs')> | undefined;
const loadBcrypt = () => (bcryptModule ??= import('bcryptjs'));

/** bcrypt reads at most 72 bytes; longer inputs are refused instead of silently truncated. */
export const BCRYPT_MAX_BYTES = 72;

/** How new password hashes are made (`auth.password_hash` and its cost options). */
export interface PasswordHashSettings {
  algorithm: 'argon2id' | 'scrypt' | 'bcrypt';
  /** argon2id's memory, in KiB (m). */
  argon2Memory: number;
  /** argon2id's passes over the memory (t). */
  argon2Iterations: number;
  /** argon2id's lanes (p). */
  argon2Parallelism: number;
  /** log2 of scrypt's N (CPU/memory cost). */
  scryptCost: number;
  /** scrypt's r (block size). */
  scryptBlockSize: number;
  /** scrypt's p (parallelisation). */
  scryptParallelism: number;
  bcryptCost: number;
}

export type ResolvedHashOptions = Pick<
  PasswordHashSettings,
  'argon2Memory' | 'argon2Iterations' | 'argon2Parallelism' | 'scryptCost' | 'scryptBlockSize' | 'scryptParallelism' | 'bcryptCost'
> & {
  passwordHash: PasswordHashSettings['algorithm'];
};

/** @publicApi */
export function passwordHashSettings(options: ResolvedHashOptions): PasswordHashSettings {
  return {
    algorithm: options.passwordHash,
    argon2Memory: options.argon2Memory,
    argon2Iterations: options.argon2Iterations,
    argon2Parallelism: options.argon2Parallelism,
    scryptCost: options.scryptCost,
    scryptBlockSize: options.scryptBlockSize,
    scryptParallelism: options.scryptParallelism,
    bcryptCost: options.bcryptCost,
  };
}

/**
 * The least scrypt work accepted, N·r·p: OWASP's Password Storage Cheat Sheet lists
 * N=2^17,r=8,p=1 … N=2^13,r=8,p=10 as equivalent minimums; the cheapest of them is this.
 */
export const SCRYPT_MIN_WORK = 2 ** 13 * 8 * 10;
/** The most memory one scrypt hash may take (128·N·r bytes): 256 MiB. */
export const SCRYPT_MAX_MEMORY = 256 * 1024 * 1024;
export const SCRYPT_LIMITS = { cost: [13, 20], blockSize: [8, 32], parallelism: [1, 16] } as const;

/**
 * The least argon2id work accepted, m·t in KiB: OWASP's Password Storage Cheat Sheet lists
 * m=47104 t=1, m=19456 t=2, m=12288 t=3, m=9216 t=4, m=7168 t=5 (p=1) as equivalent minimums;
 * the cheapest of them is this.
 */
export const ARGON2_MIN_WORK = 7168 * 5;
/**
 * Ranges of the argon2id setting. 256 MiB at most, as for scrypt; and with these bounds the
 * PHC string fits the 100-character `password_hash` column.
 */
export const ARGON2_LIMITS = { memory: [7168, 262_144], iterations: [1, 10], parallelism: [1, 16] } as const;

const SALT_BYTES = 16;
/** Length of the derived key of argon2id and scrypt hashes, in bytes. */
export const KEY_BYTES = 32;
/** PHC string format, as passlib and others write scrypt: `$scrypt$ln=13,r=8,p=10$<salt>$<key>` (unpadded base64). */
const SCRYPT_FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$/;
/** PHC string format of argon2id (version 0x13), as the reference implementation writes it. */
const ARGON2_FORMAT = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$/;
const BCRYPT_FORMAT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;

export interface ScryptParams {
  cost: number;
  blockSize: number;
  parallelism: number;
}

/** Why a scrypt setting within the ranges is refused (under OWASP's minimum, or too much memory); undefined when it is fine. */
export function scryptWorkProblem(p: ScryptParams): string | undefined {
  if (2 ** p.cost * p.blockSize * p.parallelism < SCRYPT_MIN_WORK) return "below OWASP's minimum: 2^cost × block_size × parallelism must be at least 2^13 × 8 × 10";
  if (128 * 2 ** p.cost * p.blockSize > SCRYPT_MAX_MEMORY) return 'needs more than 256 MiB per hash (128 × 2^cost × block_size bytes)';
  return undefined;
}

export interface Argon2Params {
  memory: number;
  iterations: number;
  parallelism: number;
}

/** Why an argon2id setting within the ranges is refused (under OWASP's minimum); undefined when it is fine. */
export function argon2WorkProblem(p: Argon2Params): string | undefined {
  if (p.memory * p.iterations < ARGON2_MIN_WORK) return "below OWASP's minimum: memory (KiB) × iterations must be at least 7168 × 5";
  return undefined;
}

function acceptableArgon2(p: Argon2Params): boolean {
  const within = (v: number, [lo, hi]: readonly [number, number]) => v >= lo && v <= hi;
  return within(p.memory, ARGON2_LIMITS.memory) && within(p.iterations, ARGON2_LIMITS.iterations) && within(p.parallelism, ARGON2_LIMITS.parallelism) && !argon2WorkProblem(p);
}

function acceptableScrypt(p: ScryptParams): boolean {
  const within = (v: number, [lo, hi]: readonly [number, number]) => v >= lo && v <= hi;
  return within(p.cost, SCRYPT_LIMITS.cost) && within(p.blockSize, SCRYPT_LIMITS.blockSize) && within(p.parallelism, SCRYPT_LIMITS.parallelism) && !scryptWorkProblem(p);
}

/**
 * Where the work of a hash is done. The functions exported here derive on libuv's pool (argon2id,
 * scrypt) and on the event loop in slices (bcrypt); `PasswordHasher` hands the same work to its own
 * low-priority threads (access/passwords/hash-worker-pool.ts) so that a login storm does not take
 * the cores from the requests the event loop serves. Both give the same bytes for the same inputs.
 */
export interface HashEngine {
  argon2Key(password: string, salt: Buffer, params: Argon2Params): Promise<Buffer>;
  scryptKey(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer>;
  bcryptHash(password: string, cost: number): Promise<string>;
  bcryptCompare(password: string, stored: string): Promise<boolean>;
}

/** @node-rs/argon2's options for a setting; 2 is Argon2id and 1 is version 0x13 (const enums of the package's typings). */
export const argon2Options = (salt: Buffer, p: Argon2Params) =>
  ({ algorithm: 2, version: 1, memoryCost: p.memory, timeCost: p.iterations, parallelism: p.parallelism, outputLen: KEY_BYTES, salt }) as const;

/** node:crypto's scrypt options for a setting; `maxmem` is its 128·N·r bytes, twice over (the limit itself is checked by scryptWorkProblem). */
export const scryptOptions = (p: ScryptParams) => ({ N: 2 ** p.cost, r: p.blockSize, p: p.parallelism, maxmem: 2 * 128 * 2 ** p.cost * p.blockSize });

/** The work done in the process: libuv's pool (argon2id, scrypt), the event loop in slices (bcrypt). */
export const inProcessHashEngine: HashEngine = {
  argon2Key: (password, salt, p) => loadArgon2().hashRaw(password, argon2Options(salt, p)),
  scryptKey: (password, salt, p) =>
    new Promise((resolve, reject) => crypto.scrypt(password, salt, KEY_BYTES, scryptOptions(p), (error, key) => (error ? reject(error) : resolve(key)))),
  bcryptHash: async (password, cost) => (await loadBcrypt()).default.hash(password, cost),
  bcryptCompare: async (password, stored) => (await loadBcrypt()).default.compare(password, stored),
};

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

/**
 * A new hash of `password`. argon2id and scrypt run on libuv's pool (off the event loop); bcrypt, kept
 * for user tables shared with systems that read only bcrypt, runs in pure JavaScript
 * (bcryptjs) on the event loop in slices of up to 100 ms.
 *
 * @publicApi
 */
export function hashPassword(password: string, settings: PasswordHashSettings): Promise<string> {
  return hashPasswordWith(inProcessHashEngine, password, settings);
}

/** `hashPassword`, its work done by `engine`. */
export async function hashPasswordWith(engine: HashEngine, password: string, settings: PasswordHashSettings): Promise<string> {
  if (settings.algorithm === 'bcrypt') return engine.bcryptHash(password, settings.bcryptCost);
  if (settings.algorithm === 'argon2id') {
    const params = { memory: settings.argon2Memory, iterations: settings.argon2Iterations, parallelism: settings.argon2Parallelism };
    const salt = crypto.randomBytes(SALT_BYTES);
    const key = await engine.argon2Key(password, salt, params);
    return `$argon2id$v=19$m=${params.memory},t=${params.iterations},p=${params.parallelism}$${b64(salt)}$${b64(key)}`;
  }
  const params = { cost: settings.scryptCost, blockSize: settings.scryptBlockSize, parallelism: settings.scryptParallelism };
  const salt = crypto.randomBytes(SALT_BYTES);
  const key = await engine.scryptKey(password, salt, params);
  return `$scrypt$ln=${params.cost},r=${params.blockSize},p=${params.parallelism}$${b64(salt)}$${b64(key)}`;
}

/** What a stored hash is; `undefined` when it is neither a hash we made nor one within our limits. */
export function describeHash(
  stored: string,
):
  | { algorithm: 'argon2id'; params: Argon2Params; salt: Buffer; key: Buffer }
  | { algorithm: 'scrypt'; params: ScryptParams; salt: Buffer; key: Buffer }
  | { algorithm: 'bcrypt'; cost: number }
  | undefined {
  const argon2Match = ARGON2_FORMAT.exec(stored);
  if (argon2Match) {
    const params = { memory: Number(argon2Match[1]), iterations: Number(argon2Match[2]), parallelism: Number(argon2Match[3]) };
    if (!acceptableArgon2(params)) return undefined;
    return { algorithm: 'argon2id', params, salt: Buffer.from(argon2Match[4], 'base64'), key: Buffer.from(argon2Match[5], 'base64') };
  }
  const scryptMatch = SCRYPT_FORMAT.exec(stored);
  if (scryptMatch) {
    const params = { cost: Number(scryptMatch[1]), blockSize: Number(scryptMatch[2]), parallelism: Number(scryptMatch[3]) };
    // A hash naming a setting we would refuse is not run: it could ask for gigabytes.
    if (!acceptableScrypt(params)) return undefined;
    return { algorithm: 'scrypt', params, salt: Buffer.from(scryptMatch[4], 'base64'), key: Buffer.from(scryptMatch[5], 'base64') };
  }
  const bcryptMatch = BCRYPT_FORMAT.exec(stored);
  if (bcryptMatch) {
    const cost = Number(bcryptMatch[1]);
    return cost >= 4 && cost <= 15 ? { algorithm: 'bcrypt', cost } : undefined;
  }
  return undefined;
}

/**
 * Whether `password` matches `stored`. The caller makes sure that the hash is usable
 * (`describeHash`) so that a refusal costs the same work as a comparison.
 *
 * @publicApi
 */
export function verifyPassword(password: string, stored: string): Promise<boolean> {
  return verifyPasswordWith(inProcessHashEngine, password, stored);
}

/** `verifyPassword`, its work done by `engine`. */
export async function verifyPasswordWith(engine: HashEngine, password: string, stored: string): Promise<boolean> {
  const hash = describeHash(stored);
  if (!hash) return false;
  // bcrypt would compare only the first 72 bytes; a longer input never matches (SEC-31).
  if (hash.algorithm === 'bcrypt') return Buffer.byteLength(password, 'utf8') <= BCRYPT_MAX_BYTES && engine.bcryptCompare(password, stored);
  const key = hash.algorithm === 'argon2id' ? await engine.argon2Key(password, hash.salt, hash.params) : await engine.scryptKey(password, hash.salt, hash.params);
  return constantTimeEqual(key, hash.key);
}

/** Whether a stored hash was made with the current settings (else the next login re-hashes it). */
export function isCurrentHash(stored: string, settings: PasswordHashSettings): boolean {
  const hash = describeHash(stored);
  if (!hash || hash.algorithm !== settings.algorithm) return false;
  if (hash.algorithm === 'bcrypt') return hash.cost === settings.bcryptCost;
  if (hash.algorithm === 'argon2id') {
    return hash.params.memory === settings.argon2Memory && hash.params.iterations === settings.argon2Iterations && hash.params.parallelism === settings.argon2Parallelism;
  }
  return hash.params.cost === settings.scryptCost && hash.params.blockSize === settings.scryptBlockSize && hash.params.parallelism === settings.scryptParallelism;
}
