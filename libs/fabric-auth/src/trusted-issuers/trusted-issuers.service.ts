import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, ServiceUnavailableException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createRemoteJWKSet, errors as joseErrors, type JWTPayload, jwtVerify } from 'jose';
import type { Repository } from 'typeorm';
import { FabricClock } from '../common/clock.js';
import { FABRIC_REVOCATION_BUS } from '../fabric-auth.constants.js';
import { FABRIC_RESOLVED_OPTIONS } from '../fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions, ResolvedTrustedIssuerOptions } from '../fabric-auth.options.js';
import { UserIdentityEntity } from '../oidc/user-identity.entity.js';
import type { Principal } from '../principal/principal.js';
import { RolesService } from '../roles/roles.service.js';
import type { FabricRevocationBus } from '../sessions/revocation-bus.js';
import { FabricAuthError } from '../tokens/fabric-auth.error.js';
import { normalizeEmail } from '../users/identity-normalization.js';
import { UserEntity } from '../users/user.entity.js';

type KeyResolver = ReturnType<typeof createRemoteJWKSet>;

interface Verified {
  readonly principal: Principal;
  readonly exp: number;
  readonly nbf: number | undefined;
}

const MAX_TOKEN_LENGTH = 16_384;
const MAX_CACHED_TOKENS = 10_000;
const DISCOVERY_TIMEOUT_MS = 5000;
const MAX_SUBJECT_LENGTH = 255;

function claimAt(payload: JWTPayload, path: string): unknown {
  let node: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Our issuer's name in a token, read without trusting it: it only picks which issuer's rules verify it. */
function peekIssuer(token: string): string | undefined {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 0 || second < 0) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8')) as unknown;
    return typeof payload === 'object' && payload !== null && typeof (payload as { iss?: unknown }).iss === 'string'
      ? (payload as { iss: string }).iss
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resource-server mode: Bearer tokens of the issuers in `auth.trusted_issuers`. The
 * signature is checked through the issuer's JWKS (discovered, cached, fetched again on an
 * unknown `kid` at most once per `jwks_cooldown`), with that issuer's algorithm list — never
 * the token's own word — and `iss`, `aud`, `exp`, `nbf`. Key material named in the token
 * (`jwk`, `jku`, `x5u`, `x5c`) is never used. Verified tokens are cached by the whole token
 * (expiry re-checked); principals of linked users are dropped on every revocation event.
 */
@Injectable()
export class TrustedIssuersService implements OnModuleDestroy {
  private readonly logger = new Logger('FabricTrustedIssuers');
  private readonly byIssuer: ReadonlyMap<string, ResolvedTrustedIssuerOptions>;
  private readonly resolvers = new Map<string, Promise<KeyResolver>>();
  private readonly verified = new Map<string, Verified>();
  private readonly unsubscribe: () => void;

  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    @InjectRepository(UserIdentityEntity) private readonly identities: Repository<UserIdentityEntity>,
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly roles: RolesService,
    private readonly clock: FabricClock,
    @Inject(FABRIC_REVOCATION_BUS) bus: FabricRevocationBus,
  ) {
    this.byIssuer = new Map(options.trustedIssuers.map((t) => [t.issuer, t]));
    // Linked users' principals follow deactivation and role changes like sessions do.
    this.unsubscribe = bus.subscribe(() => this.verified.clear());
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  /** The trusted issuer a Bearer token names, if any (FabricAuthenticator routes on it). */
  issuerFor(token: string): ResolvedTrustedIssuerOptions | undefined {
    if (this.byIssuer.size === 0) return undefined;
    const iss = peekIssuer(token);
    return iss === undefined ? undefined : this.byIssuer.get(iss);
  }

  authenticate(token: string, issuer: ResolvedTrustedIssuerOptions): Principal | Promise<Principal> {
    const nowSeconds = this.clock.now() / 1000;
    const cached = this.verified.get(token);
    if (cached !== undefined) {
      const skew = this.options.clockSkew;
      if (cached.exp + skew <= nowSeconds || (cached.nbf !== undefined && cached.nbf - skew > nowSeconds)) {
        this.verified.delete(token);
        throw new FabricAuthError('expired');
      }
      return cached.principal;
    }
    if (token.length > MAX_TOKEN_LENGTH) throw new FabricAuthError('malformed', 'token too long');
    return this.verify(token, issuer);
  }

  private async verify(token: string, issuer: ResolvedTrustedIssuerOptions): Promise<Principal> {
    const keys = await this.resolverFor(issuer);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: issuer.issuer,
        audience: issuer.audience,
        algorithms: issuer.algorithms,
        clockTolerance: this.options.clockSkew,
        currentDate: new Date(this.clock.now()),
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWKSTimeout || (error instanceof joseErrors.JOSEError && error.code === 'ERR_JOSE_GENERIC' && /fetch/i.test(error.message))) {
        throw new ServiceUnavailableException('The token issuer cannot be reached');
      }
      const expired = error instanceof joseErrors.JWTExpired;
      throw new FabricAuthError(expired ? 'expired' : 'bad_token', `${issuer.issuer}: ${(error as Error).message}`);
    }
    const principal = await this.principalFor(payload, issuer);
    if (this.verified.size >= MAX_CACHED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { principal, exp: payload.exp!, nbf: payload.nbf });
    return principal;
  }

  private resolverFor(issuer: ResolvedTrustedIssuerOptions): Promise<KeyResolver> {
    let resolver = this.resolvers.get(issuer.issuer);
    if (resolver === undefined) {
      resolver = this.discoverJwksUri(issuer).then((uri) =>
        createRemoteJWKSet(new URL(uri), { cooldownDuration: issuer.jwksCooldown * 1000, timeoutDuration: DISCOVERY_TIMEOUT_MS }),
      );
      // A failed discovery is retried by the next request, not remembered.
      resolver.catch(() => this.resolvers.delete(issuer.issuer));
      this.resolvers.set(issuer.issuer, resolver);
    }
    return resolver;
  }

  private async discoverJwksUri(issuer: ResolvedTrustedIssuerOptions): Promise<string> {
    if (issuer.jwksUri) return issuer.jwksUri;
    const url = `${issuer.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let metadata: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS), redirect: 'error' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      metadata = (await response.json()) as typeof metadata;
    } catch (error) {
      this.logger.warn(`discovery of ${issuer.issuer} failed: ${(error as Error).message}`);
      throw new ServiceUnavailableException('The token issuer cannot be reached');
    }
    // OIDC Discovery §4.3: the document must name exactly the issuer it was fetched for.
    if (metadata.issuer !== issuer.issuer || typeof metadata.jwks_uri !== 'string' || !URL.canParse(metadata.jwks_uri)) {
      this.logger.error(`discovery of ${issuer.issuer}: issuer mismatch or no jwks_uri`);
      throw new ServiceUnavailableException('The token issuer is misconfigured');
    }
    const jwks = new URL(metadata.jwks_uri);
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(jwks.hostname);
    if (jwks.protocol !== 'https:' && !(jwks.protocol === 'http:' && loopback)) {
      throw new ServiceUnavailableException('The token issuer publishes its keys over plain HTTP');
    }
    return jwks.href;
  }

  private async principalFor(payload: JWTPayload, issuer: ResolvedTrustedIssuerOptions): Promise<Principal> {
    const subject = claimAt(payload, issuer.subjectClaim);
    if (typeof subject !== 'string' || subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH) {
      throw new FabricAuthError('malformed', `${issuer.subjectClaim} claim`);
    }
    if (issuer.link === 'none') return this.externalPrincipal(payload, issuer, subject);
    const user = issuer.link === 'by_subject' ? await this.userBySubject(issuer.issuer, subject) : await this.userByVerifiedEmail(payload);
    if (!user || !user.isActive) throw new FabricAuthError('inactive', `no active local user for ${issuer.issuer} ${subject}`);
    const grant = await this.roles.grantsOf({ userId: user.id });
    return {
      kind: 'user',
      id: user.id,
      username: user.username,
      email: user.email,
      roles: Object.freeze(grant.roles),
      permissions: grant.permissions,
      isSystemAdmin: user.isSystemAdmin,
      sessionId: null,
      apiKeyId: null,
      scopes: null,
      authMethod: 'jwt',
    };
  }

  /**
   * Never a local account: its id (`external:` + a digest of issuer and subject, fit for
   * audit columns) cannot collide with one, and its permissions come from the role mapping only.
   */
  private async externalPrincipal(payload: JWTPayload, issuer: ResolvedTrustedIssuerOptions, subject: string): Promise<Principal> {
    const values = issuer.rolesClaim === undefined ? [] : claimAt(payload, issuer.rolesClaim);
    const claimed = Array.isArray(values) ? values : typeof values === 'string' ? values.split(' ') : [];
    const roleNames = [...new Set(claimed.filter((v): v is string => typeof v === 'string').flatMap((v) => issuer.roleMapping[v] ?? []))].sort();
    const roles = roleNames.length > 0 ? await this.roles.findByNames(roleNames) : [];
    const username = (typeof payload.preferred_username === 'string' ? payload.preferred_username : subject).slice(0, 150);
    return {
      kind: 'external',
      id: `external:${createHash('sha256').update(`${issuer.issuer}#${subject}`).digest('base64url')}`,
      username,
      email: null,
      roles: Object.freeze(roles.map((r) => r.name).sort()),
      permissions: new Set(roles.flatMap((r) => r.permissions)),
      isSystemAdmin: false,
      sessionId: null,
      apiKeyId: null,
      scopes: null,
      authMethod: 'jwt',
    };
  }

  private async userBySubject(issuer: string, subject: string): Promise<UserEntity | null> {
    const identity = await this.identities.findOneBy({ issuer, subject });
    return identity ? this.users.findOneBy({ id: identity.userId }) : null;
  }

  private async userByVerifiedEmail(payload: JWTPayload): Promise<UserEntity | null> {
    if (payload.email_verified !== true || typeof payload.email !== 'string' || payload.email.length > 320) return null;
    const user = await this.users.findOneBy({ email: normalizeEmail(payload.email) });
    // Both sides must have verified it, and the system admin is never linked by email: as for SSO account linking.
    return user?.emailVerified && !user.isSystemAdmin ? user : null;
  }
}
