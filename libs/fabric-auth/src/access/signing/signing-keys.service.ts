import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, LessThan } from 'typeorm';
import { AuditService } from '../../data/audit.service.js';
import { FabricClock } from '../../core/clock.js';
import { FabricTransactions } from '../../data/transactions.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import { encryptionKeyOf, type ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import type { Principal } from '../../core/principal.js';
import { type AsymmetricAlgorithm, keyProblem, privateKeyFrom, type PublicJwk, publicJwkOf, thumbprintOf } from '../../core/jws.js';
import { KeyEncryption } from '../../core/key-encryption.js';
import { SigningKeyEntity } from '../../schema/entities/signing-key.entity.js';
import { fabricError } from '../../core/fabric-error.js';

interface VerifyingKey {
  key: KeyObject;
  /** Epoch ms after which the key no longer verifies; null while it is current. */
  retiresAt: number | null;
  jwk: PublicJwk;
}

export interface SigningKeyInfo {
  kid: string;
  algorithm: string;
  created_at: Date;
  retires_at: Date | null;
  /** `signing` (new tokens), `verifying` (until `retires_at`). */
  status: 'signing' | 'verifying';
}

/** Key of the PostgreSQL advisory lock that serialises rotations across instances. */
const ROTATION_LOCK_KEY = 0x6661_726b; // "fark"

/** Fewest milliseconds between two reloads caused by an unknown `kid` (a flood of made-up kids costs one query a second). */
const UNKNOWN_KID_RELOAD_GAP_MS = 1000;

function generatePrivateKey(algorithm: AsymmetricAlgorithm): KeyObject {
  switch (algorithm) {
    case 'EdDSA':
      return generateKeyPairSync('ed25519').privateKey;
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  }
}

/**
 * The asymmetric key set: the key new tokens are signed with and the keys that still
 * verify. Keys come from configuration (fixed for the process) or from the database
 * (generated at first start, rotated by `rotate`, re-read every `refresh_interval` and
 * when a token names a `kid` this instance has not seen, so a rotation on one instance
 * reaches the others). A retired key verifies until every token it signed has expired.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('FabricSigningKeys');
  readonly algorithm: AsymmetricAlgorithm | undefined;
  readonly source: 'config' | 'database' | 'none';
  private signer: { kid: string; key: KeyObject } | undefined;
  private verifying = new Map<string, VerifyingKey>();
  private readonly encryption: KeyEncryption;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private lastUnknownKidReload = 0;

  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: FabricClock,
    private readonly audit: AuditService,
    private readonly transactions: FabricTransactions,
  ) {
    const { algorithm, keys } = options.signing;
    this.algorithm = algorithm === 'HS256' ? undefined : algorithm;
    this.source = this.algorithm === undefined ? 'none' : keys.length > 0 ? 'config' : 'database';
    this.encryption = new KeyEncryption(encryptionKeyOf(options));
  }

  async onModuleInit(): Promise<void> {
    if (this.source === 'config') return this.loadFromConfig();
    if (this.source !== 'database') return;
    await this.reload();
    if (this.signer === undefined) {
      await this.rotate(null, undefined, 'no usable signing key');
    }
    this.timer = setInterval(() => void this.reload().catch((e) => this.logger.warn(`key reload failed: ${(e as Error).message}`)), this.options.signing.refreshInterval * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** The key new tokens are signed with. */
  currentSigner(): { kid: string; key: KeyObject } {
    if (this.signer === undefined) throw new Error('nestjs-fabric-auth: no signing key loaded');
    return this.signer;
  }

  /** The public key for `kid` while it still verifies, else undefined. */
  verifierFor(kid: string, nowMs: number): KeyObject | undefined {
    const entry = this.verifying.get(kid);
    if (entry === undefined || (entry.retiresAt !== null && entry.retiresAt <= nowMs)) return undefined;
    return entry.key;
  }

  /**
   * Re-reads the database once for a `kid` this instance does not know (another instance
   * may have rotated); true when the reload happened. Rate-limited: never more than one
   * reload per second, however many unknown kids arrive.
   */
  async reloadForUnknownKid(): Promise<boolean> {
    if (this.source !== 'database') return false;
    const now = Date.now();
    if (this.reloading) {
      await this.reloading;
      return true;
    }
    if (now - this.lastUnknownKidReload < UNKNOWN_KID_RELOAD_GAP_MS) return false;
    this.lastUnknownKidReload = now;
    await this.reload();
    return true;
  }

  /** `/.well-known/jwks.json`: the public halves of every key that still verifies. */
  jwks(): { keys: PublicJwk[] } {
    const now = this.clock.now();
    return { keys: [...this.verifying.values()].filter((k) => k.retiresAt === null || k.retiresAt > now).map((k) => k.jwk) };
  }

  async list(): Promise<SigningKeyInfo[]> {
    if (this.source === 'config') {
      return [...this.verifying.entries()].map(([kid]) => ({
        kid,
        algorithm: this.algorithm!,
        created_at: new Date(0),
        retires_at: null,
        status: kid === this.signer?.kid ? 'signing' : 'verifying',
      }));
    }
    const now = new Date(this.clock.now());
    const rows = await this.dataSource.getRepository(SigningKeyEntity).find({ order: { createdAt: 'DESC', kid: 'ASC' } });
    return rows
      .filter((r) => r.retiresAt === null || r.retiresAt > now)
      .map((r) => ({
        kid: r.kid,
        algorithm: r.algorithm,
        created_at: r.createdAt,
        retires_at: r.retiresAt,
        status: r.retiresAt === null && r.kid === this.signer?.kid ? 'signing' : 'verifying',
      }));
  }

  /**
   * A new key signs from now on; the ones it replaces verify for one access-token lifetime
   * plus one refresh interval (the longest another instance may still sign with them) and
   * the clock skew, then retire. Keys already past retirement are deleted.
   */
  async rotate(actor: Principal | null, request?: HttpRequestLike, reason = 'rotation requested'): Promise<SigningKeyInfo> {
    if (this.source === 'config') throw fabricError('signing_keys_not_rotatable', 'Signing keys come from configuration (auth.signing.keys); rotate them there');
    if (this.source === 'none') throw fabricError('signing_keys_not_rotatable', 'Tokens are signed with HS256 (auth.signing.algorithm); there is no key to rotate');
    const algorithm = this.algorithm!;
    const privateKey = generatePrivateKey(algorithm);
    const kid = thumbprintOf(privateKey);
    const now = new Date(this.clock.now());
    const { accessTokenExpire, clockSkew, signing } = this.options;
    const retiresAt = new Date(now.getTime() + (accessTokenExpire + signing.refreshInterval + clockSkew) * 1000);
    const row: SigningKeyEntity = {
      kid,
      algorithm,
      publicJwk: JSON.stringify(publicJwkOf(privateKey, kid, algorithm)),
      privateKey: this.encryption.seal(privateKey.export({ format: 'der', type: 'pkcs8' }), kid),
      createdAt: now,
      retiresAt: null,
    };
    let retired: string[] = [];
    await this.transactions.run(async (tx) => {
      // Concurrent rotations (two admins, instances starting together) one at a time: each
      // retires the key the previous one inserted, so no key but the newest lacks `retires_at`.
      await this.transactions.exclusive(tx, ROTATION_LOCK_KEY);
      const repository = tx.manager.getRepository(SigningKeyEntity);
      await repository.delete({ retiresAt: LessThan(now) });
      retired = (await repository.find({ where: { retiresAt: IsNull() }, select: { kid: true } })).map((k) => k.kid);
      if (retired.length > 0) await repository.update({ retiresAt: IsNull() }, { retiresAt });
      await repository.insert(row);
      await this.audit.recordIn(tx, {
        action: 'signing_key.rotate',
        outcome: 'success',
        actor: actor ? { kind: actor.kind, id: actor.id, username: actor.username } : null,
        target: { type: 'signing_key', id: kid },
        request,
        details: { algorithm, reason, retired: retired.join(' ') || null, retires_at: retired.length > 0 ? retiresAt.toISOString() : null },
      });
    });
    this.logger.log(`signing key ${kid} (${algorithm}) now signs${retired.length ? `; ${retired.join(', ')} retire at ${retiresAt.toISOString()}` : ''}`);
    await this.reload();
    return { kid, algorithm, created_at: now, retires_at: null, status: 'signing' };
  }

  private loadFromConfig(): void {
    const algorithm = this.algorithm!;
    const verifying = new Map<string, VerifyingKey>();
    for (const [index, entry] of this.options.signing.keys.entries()) {
      const key = privateKeyFrom(entry.privateKey);
      if (index === 0) this.signer = { kid: entry.kid, key };
      verifying.set(entry.kid, { key: createPublicKey(key), retiresAt: null, jwk: publicJwkOf(key, entry.kid, algorithm) });
    }
    this.verifying = verifying;
  }

  /** One reload at a time; callers arriving meanwhile share it. */
  private reload(): Promise<void> {
    this.reloading ??= this.readDatabase().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async readDatabase(): Promise<void> {
    const rows = await this.dataSource.getRepository(SigningKeyEntity).find({ order: { createdAt: 'DESC', kid: 'ASC' } });
    const now = this.clock.now();
    const verifying = new Map<string, VerifyingKey>();
    let signer: { kid: string; key: KeyObject } | undefined;
    for (const row of rows) {
      const retiresAt = row.retiresAt?.getTime() ?? null;
      if ((retiresAt !== null && retiresAt <= now) || row.algorithm !== this.algorithm) continue;
      let jwk: PublicJwk;
      let publicKey: KeyObject;
      try {
        jwk = JSON.parse(row.publicJwk) as PublicJwk;
        publicKey = createPublicKey({ key: jwk as never, format: 'jwk' });
      } catch {
        this.logger.error(`signing key ${row.kid}: stored public key is unreadable; skipped`);
        continue;
      }
      verifying.set(row.kid, { key: publicKey, retiresAt, jwk });
      if (signer === undefined && retiresAt === null) {
        const der = this.encryption.open(row.privateKey, row.kid);
        if (der === undefined) {
          this.logger.warn(`signing key ${row.kid}: private part does not decrypt (secret_key or encryption_key changed?); it only verifies`);
          continue;
        }
        const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
        if (keyProblem(key, this.algorithm) === undefined) signer = { kid: row.kid, key };
      }
    }
    this.verifying = verifying;
    if (signer !== undefined || this.signer === undefined) this.signer = signer;
  }
}
