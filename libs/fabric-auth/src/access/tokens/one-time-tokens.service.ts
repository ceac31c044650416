import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, MoreThan, type Repository } from 'typeorm';
import { FabricClock } from '../../core/clock.js';
import { PublicBaseUrl } from '../../options/public-base-url.js';
import { type FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import { FABRIC_NOTIFIER } from '../../core/fabric-auth.constants.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import type { FabricNotifier } from '../../core/ports/notifier.js';
import { sha256 } from '../../core/crypto.js';
import type { UserEntity } from '../../schema/entities/user.entity.js';
import { OneTimeTokenEntity, type OneTimeTokenPurpose } from '../../schema/entities/one-time-token.entity.js';

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const LINK_PATHS: Record<OneTimeTokenPurpose, string> = { activation: '/activate', password_reset: '/reset-password', email_verification: '/verify-email' };

/**
 * Activation and password-reset tokens: 256 random bits, stored as SHA-256, bound to one
 * user and one purpose, expiring, single use even under concurrent use (an atomic
 * conditional update), and a new one voids the older ones of the same user and purpose.
 */
@Injectable()
export class OneTimeTokensService {
  private readonly logger = new Logger('FabricAuth');

  constructor(
    @InjectRepository(OneTimeTokenEntity) private readonly tokens: Repository<OneTimeTokenEntity>,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    @Inject(FABRIC_NOTIFIER) private readonly notifier: FabricNotifier,
    private readonly clock: FabricClock,
    private readonly transactions: FabricTransactions,
    private readonly publicBaseUrl: PublicBaseUrl,
  ) {}

  /**
   * Issues a token and hands it to the notifier; the caller never sees it. With `tx`, the
   * token is part of it and the message leaves only once it commits.
   */
  async issueAndSend(user: Pick<UserEntity, 'id' | 'username' | 'email'>, purpose: OneTimeTokenPurpose, tx?: FabricTransaction): Promise<void> {
    const now = this.clock.now();
    // An email check is as patient as an activation: both wait for someone to open their mail.
    const ttl = purpose === 'password_reset' ? this.options.passwordResetExpire : this.options.activationExpire;
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now + ttl * 1000);
    const send = async () => {
      const base = this.publicBaseUrl.get();
      const link = `${base}${LINK_PATHS[purpose]}?token=${token}`;
      try {
        await this.notifier.send({ purpose, user: { id: user.id, username: user.username, email: user.email }, token, link, expiresAt });
      } catch (error) {
        this.logger.error(`notifier failed for ${purpose} of user ${user.id}: ${(error as Error).message}`);
      }
    };
    await this.transactions.run(async (inner) => {
      await inner.manager.update(OneTimeTokenEntity, { userId: user.id, purpose, usedAt: IsNull() }, { usedAt: new Date(now) });
      await inner.manager.insert(OneTimeTokenEntity, { userId: user.id, purpose, tokenHash: sha256(token, 'hex'), createdAt: new Date(now), expiresAt, usedAt: null });
      inner.afterCommit(send);
    }, tx);
  }

  /** The user a live token of this purpose belongs to, without spending it. */
  async peek(rawToken: string, purpose: OneTimeTokenPurpose): Promise<string | undefined> {
    return (await this.live(rawToken, purpose))?.userId;
  }

  /** Spends a token: the user id when it was live, of this purpose, and nobody spent it first. */
  async consume(rawToken: string, purpose: OneTimeTokenPurpose, tx?: FabricTransaction): Promise<string | undefined> {
    const manager = tx?.manager ?? this.tokens.manager;
    const row = await this.live(rawToken, purpose, manager);
    if (!row) return undefined;
    const result = await manager.update(OneTimeTokenEntity, { id: row.id, usedAt: IsNull() }, { usedAt: new Date(this.clock.now()) });
    return result.affected === 1 ? row.userId : undefined;
  }

  private async live(rawToken: string, purpose: OneTimeTokenPurpose, manager = this.tokens.manager): Promise<OneTimeTokenEntity | null> {
    if (!TOKEN_SHAPE.test(rawToken)) return null;
    const now = new Date(this.clock.now());
    return manager.findOne(OneTimeTokenEntity, { where: { tokenHash: sha256(rawToken, 'hex'), purpose, usedAt: IsNull(), expiresAt: MoreThan(now) } });
  }

  /** Voids every pending token of a user (after a reset, an email change, a deactivation). */
  async voidAll(userId: string, tx?: FabricTransaction): Promise<void> {
    await (tx?.manager ?? this.tokens.manager).update(OneTimeTokenEntity, { userId, usedAt: IsNull() }, { usedAt: new Date(this.clock.now()) });
  }
}
