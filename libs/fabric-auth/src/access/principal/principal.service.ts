import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { FabricClock } from '../../core/clock.js';
import { BoundedCache } from '../../core/bounded-cache.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import type { RevocationEvent } from '../../core/ports/revocation-bus.js';
import { Revocations } from '../sessions/revocations.js';
import { FabricAuthError } from '../../core/fabric-auth.error.js';
import type { AccessClaims } from '../tokens/token.service.js';
import { CredentialReads } from '../../data/credential-reads.js';
import { FabricTransactions } from '../../data/transactions.js';
import type { AuthMethod, Principal } from '../../core/principal.js';
import { sessionAmr } from '../sessions/sessions.service.js';
import { OrganizationAccess } from '../../core/ports/organization-access.js';

type SessionPrincipal = Omit<Principal, 'authMethod'>;

interface CacheEntry {
  readonly principal: SessionPrincipal;
  readonly byMethod: Map<AuthMethod, Principal>;
}

/**
 * The keys of org tokens by their claims: a cached token hands back the same claims object on
 * every request, so its key is joined (and hashed by the map) once instead of per request.
 */
const orgCacheKeys = new WeakMap<AccessClaims, string>();

/** A session's cache key: its id, and the organization the token acts in (tokens of one session may name different ones). */
function cacheKey(claims: AccessClaims): string {
  if (claims.org === undefined) return claims.sid;
  let key = orgCacheKeys.get(claims);
  if (key === undefined) orgCacheKeys.set(claims, (key = `${claims.sid}:${claims.org}`));
  return key;
}

/** Sessions whose principal is kept in memory; the least recently used go first. */
export const MAX_CACHED_SESSIONS = 100_000;

/**
 * Turns a verified session credential into a Principal, checking on every request that
 * the session is live and the user active. Results are cached per session (LRU-bounded,
 * expiring after `principal_cache_ttl`) and dropped on every revocation this instance
 * hears of (`Revocations`: the bus at once, the database log within a second), so
 * revocation is immediate while a cache hit costs no database read. While the log cannot
 * be read or the bus is unreliable, the cache is bypassed.
 */
@Injectable()
export class PrincipalService implements OnModuleDestroy {
  /** Entries indexed by principal, so revoking a user drops all their sessions. */
  private readonly cache: BoundedCache<CacheEntry, 'principal' | 'session'>;
  private readonly inFlight = new Map<string, Promise<SessionPrincipal>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly reads: CredentialReads,
    private readonly clock: FabricClock,
    @Inject(FABRIC_RESOLVED_OPTIONS) options: ResolvedFabricAuthOptions,
    private readonly revocations: Revocations,
    @Inject(OrganizationAccess) private readonly organizations: OrganizationAccess,
    private readonly transactions: FabricTransactions,
  ) {
    this.cache = new BoundedCache<CacheEntry, 'principal' | 'session'>({
      max: MAX_CACHED_SESSIONS,
      ttl: options.principalCacheTtl * 1000,
      now: () => clock.now(),
      indexBy: { principal: (entry) => entry.principal.id, session: (entry) => entry.principal.sessionId! },
    });
    this.unsubscribe = revocations.subscribe((event) => this.invalidate(event));
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  /** Cached sessions, and principals they index: both bounded by `MAX_CACHED_SESSIONS`. */
  get cachedCounts(): { sessions: number; principals: number } {
    const counts = this.cache.counts();
    return { sessions: counts.entries, principals: counts.indexed.principal };
  }

  /** Synchronous on a cache hit, so the guard's hot path does not wait on a promise. `now`: the request's clock reading. */
  forAccessClaims(claims: AccessClaims, method: AuthMethod, now = this.clock.now()): Principal | Promise<Principal> {
    const entry = this.cache.get(cacheKey(claims), now);
    if (entry !== undefined && entry.principal.id === claims.sub && this.revocations.cachesTrusted()) {
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
    const key = cacheKey(claims);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const epoch = this.cache.currentEpoch;
    // SQLite: a read made while a transaction is open may see its rows before a rollback (FabricTransactions.committedReadMark).
    const mark = this.transactions.committedReadMark();
    const promise = this.loadFromDatabase(claims.sid, claims.org).then((principal) => {
      if (this.transactions.readWasCommitted(mark)) this.cache.set(key, { principal, byMethod: new Map() }, epoch);
      return principal;
    });
    this.inFlight.set(key, promise);
    const forget = () => {
      if (this.inFlight.get(key) === promise) this.inFlight.delete(key);
    };
    promise.then(forget, forget);
    return promise;
  }

  /** The cold path: one session's principal as the database has it now. */
  private async loadFromDatabase(sessionId: string, organization: string | undefined): Promise<SessionPrincipal> {
    const record = await this.reads.session(sessionId);
    const now = this.clock.now();
    if (!record || record.revokedAt !== null || record.absoluteExpiresAt.getTime() <= now) {
      throw new FabricAuthError('revoked', 'session not live');
    }
    if (!record.isActive) throw new FabricAuthError('inactive');
    // An enrolment-only session holds none of the account's permissions, wherever its
    // principal is read: the guard, introspection of its access or refresh token (SEC-113).
    const enrolmentOnly = record.restriction === 'mfa_enrollment';
    return {
      kind: 'user',
      id: record.userId,
      username: record.username,
      email: record.email,
      roles: Object.freeze(record.roles),
      permissions: enrolmentOnly ? new Set<string>() : record.permissions,
      isSystemAdmin: enrolmentOnly ? false : record.isSystemAdmin,
      sessionId: record.sessionId,
      apiKeyId: null,
      scopes: null,
      amr: Object.freeze(sessionAmr(record)),
      restriction: record.restriction,
      ...(organization !== undefined && { org: enrolmentOnly ? null : await this.organizationOf(record.userId, organization, sessionAmr(record)) }),
    };
  }

  /**
   * The token's organization as the member holds it now; null once they left it or it is gone,
   * or once it requires a second factor this session's login did not use (the organization
   * grant then answers `mfa_required`).
   */
  private async organizationOf(userId: string, organizationId: string, amr: readonly string[]): Promise<Principal['org']> {
    const membership = await this.organizations.membershipOf(userId, organizationId);
    if (membership === null || membership.organizationId !== organizationId) return null;
    if (membership.mfaRequired && !amr.includes('mfa')) return null;
    return Object.freeze({ id: membership.organizationId, slug: membership.slug, roles: Object.freeze([...membership.roles]), permissions: membership.permissions });
  }

  /** Also detaches in-flight loads: a request arriving after a revocation must read afresh. */
  invalidate(event: RevocationEvent): void {
    this.inFlight.clear();
    switch (event.type) {
      case 'session':
        this.cache.deleteIndexed('session', event.sessionId);
        break;
      case 'principal':
        this.cache.deleteIndexed('principal', event.principalId);
        break;
      case 'all':
        this.cache.clear();
        break;
      case 'api_key':
        this.cache.invalidateLoads();
        break;
    }
  }
}
