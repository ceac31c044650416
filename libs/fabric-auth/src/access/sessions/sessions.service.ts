import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import { FabricClock } from '../../core/clock.js';
import { clientIp, type HttpRequestLike, userAgent } from '../../core/request-info.js';
import { type FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { TokenService } from '../tokens/token.service.js';
import { Revocations } from './revocations.js';
import { SessionEntity } from '../../schema/entities/session.entity.js';

/** The methods a session's login proved; sessions from before MFA existed carry none stored. */
export function sessionAmr(session: { amr: string | null; loginMethod: string }): string[] {
  if (session.amr !== null) return session.amr.split(' ').filter(Boolean);
  return session.loginMethod === 'password' ? ['pwd'] : [];
}

/** What a session opened through an OpenID Provider keeps of that login. */
export interface ProviderSessionLink {
  provider: string;
  subject: string;
  sid: string | null;
  idToken: string | null;
}

export interface NewSession {
  session: SessionEntity;
  refreshToken: string;
}

export type RotationResult = { outcome: 'rotated'; session: SessionEntity; refreshToken: string } | { outcome: 'invalid' } | { outcome: 'reused'; session: SessionEntity };

/** @publicApi */
@Injectable()
export class SessionsService {
  /** Sessions with a refresh being processed by this instance. */
  private readonly rotating = new Set<string>();

  constructor(
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    private readonly tokens: TokenService,
    private readonly clock: FabricClock,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly transactions: FabricTransactions,
    private readonly revocations: Revocations,
  ) {}

  async create(
    userId: string,
    loginMethod: string,
    request?: HttpRequestLike,
    tx?: FabricTransaction,
    /** What the login proved (`amr`, an enrolment-only restriction) and, for SSO, the provider's session. */
    proof: { amr?: readonly string[]; restriction?: string | null; provider?: ProviderSessionLink } = {},
  ): Promise<NewSession> {
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
      amr: proof.amr && proof.amr.length > 0 ? proof.amr.join(' ') : null,
      restriction: proof.restriction ?? null,
      oidcProvider: proof.provider?.provider ?? null,
      oidcSubject: proof.provider?.subject ?? null,
      oidcSid: proof.provider?.sid ?? null,
      oidcIdToken: proof.provider?.idToken ?? null,
    });
    await (tx?.manager ?? this.sessions.manager).insert(SessionEntity, session);
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

  /** True while the session is neither revoked nor expired. */
  async isLive(sessionId: string, userId: string): Promise<boolean> {
    const session = await this.sessions.findOne({ where: { id: sessionId, userId, revokedAt: IsNull() }, select: { id: true, expiresAt: true, absoluteExpiresAt: true } });
    const now = this.clock.now();
    return session !== null && session.expiresAt.getTime() > now && session.absoluteExpiresAt.getTime() > now;
  }

  /**
   * Revokes one session; true when it was live. With `tx`, as part of it; the revocation
   * is logged with it (`Revocations`), so every instance refuses the session within 2 s of
   * the commit, and at once when the broadcast arrives.
   */
  async revoke(sessionId: string, reason: string, tx?: FabricTransaction): Promise<boolean> {
    return this.transactions.run(async (inner) => {
      const result = await inner.manager.update(SessionEntity, { id: sessionId, revokedAt: IsNull() }, { revokedAt: new Date(this.clock.now()), revokedReason: reason });
      await this.revocations.revoke(inner, { type: 'session', sessionId });
      return (result.affected ?? 0) > 0;
    }, tx);
  }

  /** Revokes every live session of a user, optionally sparing one (the caller's own); the count revoked. */
  async revokeAllOfUser(userId: string, reason: string, exceptSessionId?: string, tx?: FabricTransaction): Promise<number> {
    return this.transactions.run(async (inner) => {
      const live = await inner.manager.find(SessionEntity, { where: { userId, revokedAt: IsNull() }, select: { id: true } });
      const targets = live.filter((s) => s.id !== exceptSessionId);
      if (targets.length === 0) return 0;
      const now = new Date(this.clock.now());
      for (let i = 0; i < targets.length; i += 500) {
        await inner.manager
          .createQueryBuilder()
          .update(SessionEntity)
          .set({ revokedAt: now, revokedReason: reason })
          .whereInIds(targets.slice(i, i + 500).map((s) => s.id))
          .andWhere('revoked_at IS NULL')
          .execute();
      }
      // One principal-wide entry: every session of the user goes, on every instance.
      await this.revocations.revoke(
        inner,
        ...(exceptSessionId ? targets.map((s) => ({ type: 'session', sessionId: s.id }) as const) : [{ type: 'principal', principalId: userId } as const]),
      );
      return targets.length;
    }, tx);
  }
}
