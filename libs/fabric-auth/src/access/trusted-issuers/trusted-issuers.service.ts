import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { JWTPayload } from 'jose';
import type { Repository } from 'typeorm';
import { claimAt, claimMovedElsewhere, claimValues, parseClaimPath } from '../../core/claim-path.js';
import { FabricClock } from '../../core/clock.js';
import { type KeyResolver, KeySetUnavailableError, RemoteKeySet } from '../../core/remote-key-set.js';
import { FABRIC_REVOCATION_BUS } from '../../core/fabric-auth.constants.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions, ResolvedTrustedIssuerOptions } from '../../options/fabric-auth.options.js';
import { UserIdentityEntity } from '../../schema/entities/user-identity.entity.js';
import type { Principal } from '../../core/principal.js';
import { RolesService } from '../accounts/roles.service.js';
import type { FabricRevocationBus } from '../../core/ports/revocation-bus.js';
import { FabricAuthError } from '../../core/fabric-auth.error.js';
import { normalizeEmail } from '../../core/identity-normalization.js';
import { UserEntity } from '../../schema/entities/user.entity.js';
import { sha256 } from '../../core/crypto.js';
import { FabricError, fabricError } from '../../core/fabric-error.js';
import { readBoundedText } from '../../core/bounded-body.js';

type Jose = typeof import('jose');

/** A discovery document is a few KB; one past this is not one. */
const MAX_DISCOVERY_BYTES = 256 * 1024;

/** A trusted issuer's options with its claim paths read once. */
export interface TrustedIssuer {
  readonly options: ResolvedTrustedIssuerOptions;
  readonly subjectPath: string[];
  readonly rolesPath: string[] | undefined;
  /** Lower-cased; `jwt` admits tokens that declare no type. */
  readonly tokenTypes: ReadonlySet<string>;
}

interface Verified {
  readonly principal: Principal;
  readonly exp: number;
  readonly nbf: number | undefined;
}

const MAX_TOKEN_LENGTH = 16_384;
const MAX_CACHED_TOKENS = 10_000;
const DISCOVERY_TIMEOUT_MS = 5000;
const MAX_SUBJECT_LENGTH = 255;
/** A key set read this long ago is read again before use (and kept if that read fails). */
const JWKS_MAX_AGE_MS = 600_000;
/** Claims only an ID token carries (OIDC Core §2, §3.1.3.6, §3.3.2.11). */
const ID_TOKEN_CLAIMS = ['nonce', 'at_hash', 'c_hash'] as const;

function pathOf(raw: ResolvedTrustedIssuerOptions['rolesClaim']): string[] {
  const path = parseClaimPath(raw);
  // Validated at startup; a failure here is a bug in the options resolution.
  if (!Array.isArray(path)) throw new Error(`claim path: ${path.problem}`);
  return path;
}

/** A declared type, compared the way RFC 8725 §3.11 and RFC 9068 §2.1 write them (`application/` optional, any case). */
function typeName(value: string): string {
  const lower = value.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

function unavailable(): FabricError {
  return fabricError('issuer_unavailable', 'The token issuer cannot be reached');
}

/** Our issuer's name in a token, read without trusting it: it only picks which issuer's rules verify it. */
function peekIssuer(token: string): string | undefined {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 0 || second < 0) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8')) as unknown;
    return typeof payload === 'object' && payload !== null && typeof (payload as { iss?: unknown }).iss === 'string' ? (payload as { iss: string }).iss : undefined;
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
  private readonly byIssuer: ReadonlyMap<string, TrustedIssuer>;
  private readonly keySets = new Map<string, Promise<RemoteKeySet>>();
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
    this.byIssuer = new Map(
      options.trustedIssuers.map((t) => [
        t.issuer,
        {
          options: t,
          subjectPath: pathOf(t.subjectClaim),
          rolesPath: t.rolesClaim === undefined ? undefined : pathOf(t.rolesClaim),
          tokenTypes: new Set(t.tokenTypes.map(typeName)),
        },
      ]),
    );
    // Linked users' principals follow deactivation and role changes like sessions do.
    this.unsubscribe = bus.subscribe(() => this.verified.clear());
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  /** The trusted issuer a Bearer token names, if any (FabricAuthenticator routes on it). */
  issuerFor(token: string): TrustedIssuer | undefined {
    if (this.byIssuer.size === 0) return undefined;
    const iss = peekIssuer(token);
    return iss === undefined ? undefined : this.byIssuer.get(iss);
  }

  authenticate(token: string, issuer: TrustedIssuer): Principal | Promise<Principal> {
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

  private async verify(token: string, issuer: TrustedIssuer): Promise<Principal> {
    // Imported by the first token of a trusted issuer: an app that trusts none never loads jose.
    const jose = await import('jose');
    const options = issuer.options;
    const keySet = await this.keySetFor(options);
    let keys;
    try {
      keys = await keySet.current();
    } catch (error) {
      if (error instanceof KeySetUnavailableError) throw unavailable();
      throw error;
    }
    let payload: JWTPayload;
    let header: Record<string, unknown>;
    try {
      ({ payload, protectedHeader: header } = await this.verifyWith(jose, token, options, keys.resolver));
    } catch (error) {
      if (!(error instanceof jose.errors.JWKSNoMatchingKey)) throw this.refusal(jose, options, error);
      let reread;
      try {
        reread = await keySet.afterUnknownKid();
      } catch (failure) {
        if (failure instanceof KeySetUnavailableError) throw unavailable();
        throw failure;
      }
      if (reread === undefined) throw this.refusal(jose, options, error);
      try {
        ({ payload, protectedHeader: header } = await this.verifyWith(jose, token, options, reread.resolver));
      } catch (again) {
        throw this.refusal(jose, options, again);
      }
    }
    this.checkAccessToken(issuer, header, payload);
    const principal = await this.principalFor(payload, issuer);
    if (this.verified.size >= MAX_CACHED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { principal, exp: payload.exp!, nbf: payload.nbf });
    return principal;
  }

  private verifyWith(jose: Jose, token: string, options: ResolvedTrustedIssuerOptions, keys: KeyResolver) {
    return jose.jwtVerify(token, keys, {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: options.algorithms,
      clockTolerance: this.options.clockSkew,
      currentDate: new Date(this.clock.now()),
      requiredClaims: ['exp'],
    });
  }

  private refusal(jose: Jose, options: ResolvedTrustedIssuerOptions, error: unknown): FabricAuthError {
    const expired = error instanceof jose.errors.JWTExpired;
    return new FabricAuthError(expired ? 'expired' : 'bad_token', `${options.issuer}: ${(error as Error).message}`);
  }

  /**
   * An access token, for one of the clients allowed: not an ID, refresh or logout token of
   * the same issuer (RFC 8725 §3.11), whose audience may well be ours too (SEC-107).
   */
  private checkAccessToken(issuer: TrustedIssuer, header: Record<string, unknown>, payload: JWTPayload): void {
    const options = issuer.options;
    const declared: string[] = [];
    for (const typ of [header.typ, payload.typ]) {
      if (typ === undefined) continue;
      if (typeof typ !== 'string') throw new FabricAuthError('bad_token', `${options.issuer}: typ is not a string`);
      // `JWT` says only "this is a JWT" (RFC 7519 §5.1), not which kind of token.
      if (typeName(typ) !== 'jwt') declared.push(typeName(typ));
    }
    // Every type the token declares must be an access token type: a header saying at+jwt does not excuse a `typ: ID` claim.
    const refused = declared.find((typ) => !issuer.tokenTypes.has(typ));
    if (refused !== undefined) throw new FabricAuthError('bad_token', `${options.issuer}: token type ${refused} is not an access token type`);
    if (declared.length === 0) {
      if (!issuer.tokenTypes.has('jwt')) throw new FabricAuthError('bad_token', `${options.issuer}: the token declares no access token type`);
      const idClaim = ID_TOKEN_CLAIMS.find((claim) => payload[claim] !== undefined);
      if (idClaim !== undefined) throw new FabricAuthError('bad_token', `${options.issuer}: an ID token (${idClaim}, no access token type)`);
    }
    if (typeof payload.iat === 'number' && payload.iat - this.options.clockSkew > this.clock.now() / 1000) {
      throw new FabricAuthError('bad_token', `${options.issuer}: iat in the future`);
    }
    if (options.authorizedParties !== undefined) {
      const party = payload.azp ?? payload.client_id;
      if (typeof party !== 'string' || !options.authorizedParties.includes(party)) {
        throw new FabricAuthError('bad_token', `${options.issuer}: azp ${typeof party === 'string' ? party : '(none)'} is not an authorized party`);
      }
    }
  }

  private keySetFor(options: ResolvedTrustedIssuerOptions): Promise<RemoteKeySet> {
    let keySet = this.keySets.get(options.issuer);
    if (keySet === undefined) {
      keySet = this.discoverJwksUri(options).then(
        (uri) =>
          new RemoteKeySet({
            uri,
            cooldownMs: options.jwksCooldown * 1000,
            maxAgeMs: JWKS_MAX_AGE_MS,
            timeoutMs: DISCOVERY_TIMEOUT_MS,
            clock: this.clock,
            onReadFailure: (detail, keptAgeMs) =>
              this.logger.warn(
                `JWKS of ${options.issuer} unreadable: ${detail}${keptAgeMs === undefined ? '' : `; the keys read ${Math.round(keptAgeMs / 1000)} s ago keep verifying`}`,
              ),
          }),
      );
      // A failed discovery is retried by the next request, not remembered.
      keySet.catch(() => this.keySets.delete(options.issuer));
      this.keySets.set(options.issuer, keySet);
    }
    return keySet;
  }

  private async discoverJwksUri(issuer: ResolvedTrustedIssuerOptions): Promise<string> {
    if (issuer.jwksUri) return issuer.jwksUri;
    const url = `${issuer.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let metadata: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS), redirect: 'error' });
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`HTTP ${response.status}`);
      }
      metadata = JSON.parse(await readBoundedText(response, MAX_DISCOVERY_BYTES)) as typeof metadata;
    } catch (error) {
      this.logger.warn(`discovery of ${issuer.issuer} failed: ${(error as Error).message}`);
      throw fabricError('issuer_unavailable', 'The token issuer cannot be reached', { cause: error });
    }
    // OIDC Discovery §4.3: the document must name exactly the issuer it was fetched for.
    if (metadata.issuer !== issuer.issuer || typeof metadata.jwks_uri !== 'string' || !URL.canParse(metadata.jwks_uri)) {
      this.logger.error(`discovery of ${issuer.issuer}: issuer mismatch or no jwks_uri`);
      throw fabricError('issuer_unavailable', 'The token issuer is misconfigured');
    }
    const jwks = new URL(metadata.jwks_uri);
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(jwks.hostname);
    if (jwks.protocol !== 'https:' && !(jwks.protocol === 'http:' && loopback)) {
      throw fabricError('issuer_unavailable', 'The token issuer publishes its keys over plain HTTP');
    }
    return jwks.href;
  }

  private async principalFor(payload: JWTPayload, issuer: TrustedIssuer): Promise<Principal> {
    const options = issuer.options;
    const subject = claimAt(payload, issuer.subjectPath);
    if (typeof subject !== 'string' || subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH) {
      throw new FabricAuthError('malformed', `${issuer.subjectPath.join('.')} claim`);
    }
    if (options.link === 'none') return this.externalPrincipal(payload, issuer, subject);
    const user = options.link === 'by_subject' ? await this.userBySubject(options.issuer, subject) : await this.userByVerifiedEmail(payload);
    if (!user || !user.isActive) throw new FabricAuthError('inactive', `no active local user for ${options.issuer} ${subject}`);
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
  private async externalPrincipal(payload: JWTPayload, issuer: TrustedIssuer, subject: string): Promise<Principal> {
    const { options, rolesPath } = issuer;
    // Entra ID leaves `groups` out for a member of more than 200 groups: mapping what is left would silently grant less.
    if (rolesPath !== undefined && Object.keys(options.roleMapping).length > 0 && claimMovedElsewhere(payload, rolesPath)) {
      this.logger.warn(`token of ${options.issuer} for ${subject}: ${rolesPath.join('.')} is not in the token (groups overage); refused`);
      throw new FabricAuthError('bad_token', `${options.issuer}: ${rolesPath.join('.')} left out of the token (overage)`);
    }
    const claimed = rolesPath === undefined ? [] : claimValues(claimAt(payload, rolesPath), true);
    const roleNames = [...new Set(claimed.flatMap((v) => (Object.hasOwn(options.roleMapping, v) ? options.roleMapping[v] : [])))].sort();
    const roles = roleNames.length > 0 ? await this.roles.findByNames(roleNames) : [];
    const username = (typeof payload.preferred_username === 'string' ? payload.preferred_username : subject).slice(0, 150);
    return {
      kind: 'external',
      id: `external:${sha256(`${options.issuer}#${subject}`, 'base64url')}`,
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
