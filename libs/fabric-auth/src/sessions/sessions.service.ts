import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import { FabricClock } from '../common/clock.js';
import { clientIp, type HttpRequestLike, userAgent } from '../common/request-info.js';
import { FABRIC_REVOCATION_BUS } from '../fabric-auth.constants.js';
import { FABRIC_RESOLVED_OPTIONS } from '../fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../fabric-auth.options.js';
import { TokenService } from '../tokens/token.service.js';
import type { FabricRevocationBus } from './revocation-bus.js';
import { SessionEntity } from './session.entity.js';

export interface NewSession {
  session: SessionEntity;
  refreshToken: string;
}

export type RotationResult =
  | { outcome: 'rotated'; session: SessionEntity; refreshToken: string }
  | { outcome: 'invalid' }
  | { outcome: 'reused'; session: SessionEntity };

@Injectable()
export class SessionsService {
  /** Sessions with a refresh being processed by this instance. */
  private readonly rotating = new Set<string>();

  constructor(
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    private readonly tokens: TokenService,
    private readonly clock: FabricClock,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    @Inject(FABRIC_REVOCATION_BUS) private readonly bus: FabricRevocationBus,
  ) {}

  async create(userId: string, loginMethod: string, request?: HttpRequestLike): Promise<NewSession> {
    const id = randomUUID();
    const now = this.clock.now();
    const refresh = this.tokens.issueRefreshToken(id);
    const absoluteExpiresAt = new Date(now + this.options.sessionMaxAge * 1000);
    const session = this.sessions.create({
      id,
      userId,
      refreshTokenHash: refresh.hash,
      createdAt: new Date(now),
      lastUsedAt: new Date(now),
      expiresAt: this.refreshExpiry(now, absoluteExpiresAt),
      absoluteExpiresAt,
      revokedAt: null,
      revokedReason: null,
      ip: request ? clientIp(request) : null,
      userAgent: request ? userAgent(request) : null,
      loginMethod,
    });
    await this.sessions.insert(session);
    return { session, refreshToken: refresh.token };
  }

  private refreshExpiry(now: number, absoluteExpiresAt: Date): Date {
    return new Date(Math.min(now + this.options.refreshTokenExpire * 1000, absoluteExpiresAt.getTime()));
  }

  /**
   * Swaps the refresh token for a new one with a compare-and-set on the stored hash, so of
   * concurrent uses exactly one wins. An authentic token that is no longer current is a
   * replay: the whole session is revoked.
   */
  async rotate(refreshToken: string): Promise<RotationResult> {
    const presented = this.tokens.authenticRefreshToken(refreshToken);
    if (!presented) return { outcome: 'invalid' };
    // A second refresh of a session while one is in flight here is a concurrent duplicate
    // (two tabs, a retry), not a replay: refused, without revoking the winner's tokens.
    if (this.rotating.has(presented.sessionId)) return { outcome: 'invalid' };
    this.rotating.add(presented.sessionId);
    try {
      return await this.rotateSession(presented);
    } finally {
      this.rotating.delete(presented.sessionId);
    }
  }

  private async rotateSession(presented: { sessionId: string; hash: string }): Promise<RotationResult> {
    const session = await this.sessions.findOne({ where: { id: presented.sessionId } });
    const now = this.clock.now();
    if (!session || session.revokedAt !== null) return { outcome: 'invalid' };
    if (session.expiresAt.getTime() <= now || session.absoluteExpiresAt.getTime() <= now) return { outcome: 'invalid' };
    if (session.refreshTokenHash !== presented.hash) {
      await this.revoke(session.id, 'refresh_reuse');
      return { outcome: 'reused', session };
    }
    const next = this.tokens.issueRefreshToken(session.id);
    const expiresAt = this.refreshExpiry(now, session.absoluteExpiresAt);
    const result = await this.sessions.update(
      { id: session.id, refreshTokenHash: presented.hash, revokedAt: IsNull() },
      { refreshTokenHash: next.hash, lastUsedAt: new Date(now), expiresAt },
    );
    // Lost a compare-and-set to a concurrent use (another instance): refuse, do not revoke.
    if (result.affected !== 1) return { outcome: 'invalid' };
    Object.assign(session, { refreshTokenHash: next.hash, lastUsedAt: new Date(now), expiresAt });
    return { outcome: 'rotated', session, refreshToken: next.token };
  }

  /** Revokes one session; true when it was live. Every instance forgets it at once. */
  async revoke(sessionId: string, reason: string): Promise<boolean> {
    const result = await this.sessions.update(
      { id: sessionId, revokedAt: IsNull() },
      { revokedAt: new Date(this.clock.now()), revokedReason: reason },
    );
    await this.bus.publish({ type: 'session', sessionId });
    return (result.affected ?? 0) > 0;
  }

  /** Revokes every live session of a user, optionally sparing one (the caller's own). */
  async revokeAllOfUser(userId: string, reason: string, exceptSessionId?: string): Promise<number> {
    const live = await this.sessions.find({ where: { userId, revokedAt: IsNull() }, select: { id: true } });
    const targets = live.filter((s) => s.id !== exceptSessionId);
    if (targets.length > 0) {
      await this.sessions
        .createQueryBuilder()
        .update()
        .set({ revokedAt: new Date(this.clock.now()), revokedReason: reason })
        .whereInIds(targets.map((s) => s.id))
        .andWhere('revoked_at IS NULL')
        .execute();
    }
    for (const s of targets) await this.bus.publish({ type: 'session', sessionId: s.id });
    return targets.length;
  }
}
