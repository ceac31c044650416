import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { FabricClock } from '../common/clock.js';
import { FABRIC_REVOCATION_BUS } from '../fabric-auth.constants.js';
import { FABRIC_RESOLVED_OPTIONS } from '../fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../fabric-auth.options.js';
import type { FabricRevocationBus, RevocationEvent } from '../sessions/revocation-bus.js';
import { FabricAuthError } from '../tokens/fabric-auth.error.js';
import type { AccessClaims } from '../tokens/token.service.js';
import { CredentialReads } from './credential-reads.js';
import type { AuthMethod, Principal } from './principal.js';

type SessionPrincipal = Omit<Principal, 'authMethod'>;

interface CacheEntry {
  readonly principal: SessionPrincipal;
  readonly byMethod: Map<AuthMethod, Principal>;
  readonly expiresAt: number;
}

const MAX_CACHED_SESSIONS = 100_000;

/**
 * Turns a verified session credential into a Principal, checking on every request that
 * the session is live and the user active. Results are cached per session and dropped
 * when the revocation bus says so (logout, deactivation, role change), so revocation
 * is immediate while a cache hit costs no database read.
 */
@Injectable()
export class PrincipalService implements OnModuleDestroy {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly sessionsOfPrincipal = new Map<string, Set<string>>();
  private readonly inFlight = new Map<string, Promise<SessionPrincipal>>();
  /** Bumped by every invalidation, so a load that raced one is not cached. */
  private epoch = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly reads: CredentialReads,
    private readonly clock: FabricClock,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    @Inject(FABRIC_REVOCATION_BUS) private readonly bus: FabricRevocationBus,
  ) {
    this.unsubscribe = bus.subscribe((event) => this.invalidate(event));
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  /** Synchronous on a cache hit, so the guard's hot path does not wait on a promise. */
  forAccessClaims(claims: AccessClaims, method: AuthMethod): Principal | Promise<Principal> {
    const entry = this.cache.get(claims.sid);
    if (entry !== undefined && entry.expiresAt > this.clock.now() && entry.principal.id === claims.sub && this.bus.reliable?.() !== false) {
      return this.withMethod(entry, method);
    }
    return this.load(claims).then((principal) => {
      if (principal.id !== claims.sub) throw new FabricAuthError('revoked', 'session of another user');
      return { ...principal, authMethod: method };
    });
  }

  private withMethod(entry: CacheEntry, method: AuthMethod): Principal {
    let principal = entry.byMethod.get(method);
    if (principal === undefined) {
      principal = Object.freeze({ ...entry.principal, authMethod: method });
      entry.byMethod.set(method, principal);
    }
    return principal;
  }

  private load(claims: AccessClaims): Promise<SessionPrincipal> {
    const pending = this.inFlight.get(claims.sid);
    if (pending) return pending;
    const epoch = this.epoch;
    const promise = this.loadFromDatabase(claims.sid).then((principal) => {
      const ttl = this.options.principalCacheTtl * 1000;
      if (ttl > 0 && epoch === this.epoch) this.remember(claims.sid, principal, ttl);
      return principal;
    });
    this.inFlight.set(claims.sid, promise);
    const forget = () => {
      if (this.inFlight.get(claims.sid) === promise) this.inFlight.delete(claims.sid);
    };
    promise.then(forget, forget);
    return promise;
  }

  private async loadFromDatabase(sessionId: string): Promise<SessionPrincipal> {
    const record = await this.reads.session(sessionId);
    const now = this.clock.now();
    if (!record || record.revokedAt !== null || record.absoluteExpiresAt.getTime() <= now) {
      throw new FabricAuthError('revoked', 'session not live');
    }
    if (!record.isActive) throw new FabricAuthError('inactive');
    return {
      kind: 'user',
      id: record.userId,
      username: record.username,
      email: record.email,
      roles: Object.freeze(record.roles),
      permissions: record.permissions,
      isSystemAdmin: record.isSystemAdmin,
      sessionId: record.sessionId,
      apiKeyId: null,
      scopes: null,
    };
  }

  private remember(sessionId: string, principal: SessionPrincipal, ttl: number): void {
    if (this.cache.size >= MAX_CACHED_SESSIONS) this.clear();
    this.cache.set(sessionId, { principal, byMethod: new Map(), expiresAt: this.clock.now() + ttl });
    let sessions = this.sessionsOfPrincipal.get(principal.id);
    if (!sessions) this.sessionsOfPrincipal.set(principal.id, (sessions = new Set()));
    sessions.add(sessionId);
  }

  private clear(): void {
    this.cache.clear();
    this.sessionsOfPrincipal.clear();
  }

  /** Also detaches in-flight loads: a request arriving after a revocation must read afresh. */
  invalidate(event: RevocationEvent): void {
    this.epoch++;
    this.inFlight.clear();
    switch (event.type) {
      case 'session':
        this.cache.delete(event.sessionId);
        break;
      case 'principal':
        for (const sessionId of this.sessionsOfPrincipal.get(event.principalId) ?? []) this.cache.delete(sessionId);
        this.sessionsOfPrincipal.delete(event.principalId);
        break;
      case 'all':
        this.clear();
        break;
      case 'api_key':
        break;
    }
  }
}
