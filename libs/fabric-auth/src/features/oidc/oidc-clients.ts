import { Inject, Injectable, Logger } from '@nestjs/common';
import type { JWTVerifyGetKey } from 'jose';
import * as client from 'openid-client';
import { FabricClock } from '../../core/clock.js';
import { KeySetUnavailableError, RemoteKeySet } from '../../core/remote-key-set.js';
import { FABRIC_RESOLVED_OPTIONS, FABRIC_ROUTE_PREFIX } from '../../core/fabric-auth.internal-constants.js';
import { BoundedCache } from '../../core/bounded-cache.js';
import { connectionIdOfProvider, connectionProviderName, type OrganizationSsoConnection, OrganizationSsoConnections } from '../../core/ports/organization-sso-connections.js';
import { checkedTenantUrl, fetchTenantUrl, tenantFetch } from '../../core/remote-document.js';
import { readBoundedText } from '../../core/bounded-body.js';
import { PublicBaseUrl } from '../../options/public-base-url.js';
import type { ResolvedFabricAuthOptions, ResolvedOidcProviderOptions } from '../../options/fabric-auth.options.js';
import { OidcLoginFailure } from './oidc-login.error.js';
import { FabricError } from '../../core/fabric-error.js';

/** Seconds any single request to a provider may take. */
const IDP_TIMEOUT = 10;
/** Milliseconds a discovery document is reused before it is read again. */
const DISCOVERY_TTL = 3_600_000;
/**
 * Seconds of age below which openid-client never reads the JWKS again for an unknown `kid`,
 * and from which it drops its copy (oauth4webapi 3). The keys it is handed are made to look
 * between the two, so it keeps them for known `kid`s and asks us for every unknown one:
 * RemoteKeySet decides whether the provider is asked.
 */
const OPENID_CLIENT_UNKNOWN_KID_AGE = 60;
const OPENID_CLIENT_MAX_AGE = 300;
/**
 * Seconds a login may take from its Configuration to its ID token check (the token request is in
 * between): keys handed over look at most this much younger than OPENID_CLIENT_MAX_AGE, or a slow
 * login would see openid-client drop them and ask again, which an outage of the JWKS refuses.
 */
const LOGIN_MARGIN = 60;
/** Milliseconds a JWKS is used before it is read again (kept when that read fails). */
const JWKS_MAX_AGE = 300_000;

/** A network failure or a 5xx of the provider: the provider is down, not the login bad. */
export class IdpUnreachableError extends FabricError {
  constructor(detail: string) {
    super('identity_provider_unreachable', detail, { detail });
  }
}

interface Discovered {
  server: client.ServerMetadata;
  fetchedAt: number;
}

export interface OidcProvider {
  /** Its place under `/auth/oidc/`: the configured name, or `org/<id>` for an organization's connection. */
  name: string;
  /** The name sessions, linked identities and audit events know it by (`connectionProviderName` for an organization's). */
  providerName: string;
  options: ResolvedOidcProviderOptions;
  /** An organization's own connection, as the organizations feature read it for this request. */
  organization?: OrganizationSsoConnection;
}

const ORGANIZATION_PREFIX = 'org/';
/** Organizations' connections whose discovery and keys are held at once, at most. */
const MAX_ORGANIZATION_PROVIDERS = 1000;
/** Milliseconds an organization's keys are kept at most without a login through its connection. */
const ORGANIZATION_KEYS_LIFETIME = 86_400_000;
/** Bytes of a provider's answer (discovery, token, userinfo) read at most: they are a few KB. */
const MAX_IDP_ANSWER = 1024 * 1024;

function realNowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * openid-client configurations for the configured providers. Discovery runs on the first
 * login (so an unreachable provider never stops the app from starting) and is cached for an
 * hour; a failed one is retried on the next login. Each login gets its own Configuration
 * built from the cached metadata, which lets openid-client's ID-token time checks and its
 * JWKS cache age follow FabricClock.
 */
@Injectable()
export class OidcClients {
  private readonly discovered = new Map<string, Discovered>();
  private readonly discovering = new Map<string, Promise<Discovered>>();
  private readonly keySets = new Map<string, RemoteKeySet>();
  /** Organizations' connections, by id and version: an update discovers anew; a deleted connection's entries age out. */
  private readonly organizationDiscovered: BoundedCache<Discovered>;
  private readonly organizationKeySets: BoundedCache<RemoteKeySet>;
  private readonly logger = new Logger('FabricOidc');

  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly clock: FabricClock,
    @Inject(OrganizationSsoConnections) private readonly organizations: OrganizationSsoConnections,
    @Inject(FABRIC_ROUTE_PREFIX) private readonly routePrefix: string,
    private readonly publicBaseUrl: PublicBaseUrl,
  ) {
    const now = () => clock.now();
    this.organizationDiscovered = new BoundedCache<Discovered>({ max: MAX_ORGANIZATION_PROVIDERS, ttl: DISCOVERY_TTL, now });
    this.organizationKeySets = new BoundedCache<RemoteKeySet>({ max: MAX_ORGANIZATION_PROVIDERS, ttl: ORGANIZATION_KEYS_LIFETIME, now });
  }

  /** A configured provider by its name, or an organization's enabled connection by `org/<id>`; undefined when there is none. */
  async provider(name: string): Promise<OidcProvider | undefined> {
    if (name.startsWith(ORGANIZATION_PREFIX)) return this.organizationProvider(name.slice(ORGANIZATION_PREFIX.length));
    const options = Object.hasOwn(this.options.providers, name) ? this.options.providers[name] : undefined;
    return options?.type === 'oidc' ? { name, providerName: name, options } : undefined;
  }

  /** The provider a session was opened through (its provider name: a configured one's, or `org:…` for an organization's connection). */
  async ofSession(providerName: string): Promise<OidcProvider | undefined> {
    const organizationConnection = connectionIdOfProvider(providerName);
    if (organizationConnection !== undefined) return this.organizationProvider(organizationConnection);
    return providerName.includes('/') ? undefined : this.provider(providerName);
  }

  /**
   * An organization's connection as a configured provider would read: its redirect URI is
   * `…/auth/oidc/org/<id>/callback`, its post-logout redirect URI the site's root (both listed in
   * the connection's view); its role mapping gives org roles (`organization`), never global ones.
   */
  private async organizationProvider(id: string): Promise<OidcProvider | undefined> {
    const found = await this.organizations.enabledConnection(id);
    if (found?.protocol !== 'oidc' || !found.oidc) return undefined;
    const prefix = this.routePrefix.replace(/^\/+|\/+$/g, '');
    const name = `${ORGANIZATION_PREFIX}${found.id}`;
    return {
      name,
      providerName: connectionProviderName(found.id),
      organization: found,
      options: {
        type: 'oidc',
        issuer: found.oidc.issuer,
        clientId: found.oidc.clientId,
        clientSecret: found.oidc.clientSecret,
        redirectUri: `${this.publicBaseUrl.get()}${prefix ? `/${prefix}` : ''}/auth/oidc/${name}/callback`,
        postLogoutRedirectUri: `${this.publicBaseUrl.get()}/`,
        jitProvisioning: found.jitProvisioning,
        scopes: ['openid', 'email', 'profile'],
        defaultRoles: [],
        linkVerifiedEmail: found.linkVerifiedEmail,
        ...(found.roleClaim === null ? {} : { roleClaim: found.roleClaim }),
        roleMapping: {},
        mfa: 'idp_amr',
        jwksCooldown: 30,
      },
    };
  }

  /** A fresh Configuration for one login; throws `OidcLoginFailure('discovery_failed')`. */
  async configuration(provider: OidcProvider): Promise<client.Configuration> {
    const { server } = await this.metadata(provider);
    const { clientId, clientSecret } = provider.options;
    const config = new client.Configuration(
      server,
      clientId,
      {
        client_secret: clientSecret,
        [client.clockSkew]: Math.round((this.clock.now() - Date.now()) / 1000),
        [client.clockTolerance]: this.options.clockSkew,
      },
      this.clientAuthentication(server, clientSecret),
    );
    if (this.isLoopbackHttp(provider)) client.allowInsecureRequests(config);
    // Without it openid-client trusts the TLS channel and never checks the ID token's signature.
    client.enableNonRepudiationChecks(config);
    config.timeout = IDP_TIMEOUT;
    const keySet = this.keySetFor(provider, server.jwks_uri!);
    // Keys past their age are read again here; when that read fails the old ones are kept.
    if ((keySet.peek()?.ageMs ?? 0) >= JWKS_MAX_AGE) await keySet.current();
    const held = keySet.peek();
    const handedOver = held !== undefined;
    if (handedOver) {
      const age = Math.min(OPENID_CLIENT_MAX_AGE - LOGIN_MARGIN, Math.max(OPENID_CLIENT_UNKNOWN_KID_AGE, Math.floor(held.ageMs / 1000)));
      client.setJwksCache(config, { jwks: held.jwks, uat: realNowSeconds() - age });
    }
    const jwksUri = new URL(server.jwks_uri!).href;
    const fetchOther = this.fetchFor(provider);
    config[client.customFetch] = (url, init) => (url === jwksUri ? this.keysResponse(keySet, handedOver) : fetchOther(url, init));
    return config;
  }

  /**
   * The provider's keys as openid-client asks for them. When it already had our keys, it
   * asks because an ID token names a `kid` they lack (a rotation at the provider): the keys
   * are read again at once, at most once per `jwks_cooldown`.
   */
  private async keysResponse(keySet: RemoteKeySet, handedOver: boolean): Promise<Response> {
    let jwks;
    try {
      jwks = handedOver ? ((await keySet.afterUnknownKid()) ?? keySet.peek())!.jwks : (await keySet.current()).jwks;
    } catch (error) {
      if (error instanceof KeySetUnavailableError) throw new IdpUnreachableError(error.message);
      throw error;
    }
    return new Response(JSON.stringify(jwks), { status: 200, headers: { 'content-type': 'application/json' } });
  }

  private keySetFor(provider: OidcProvider, uri: string): RemoteKeySet {
    let keySet = provider.organization ? this.organizationKeySets.get(this.cacheKey(provider)) : this.keySets.get(provider.name);
    if (keySet?.uri !== uri) {
      keySet = new RemoteKeySet({
        uri,
        cooldownMs: provider.options.jwksCooldown * 1000,
        maxAgeMs: JWKS_MAX_AGE,
        timeoutMs: IDP_TIMEOUT * 1000,
        clock: this.clock,
        // An organization's keys are at a URL its discovery named: each read is held to the tenant rules and pinned, as discovery is.
        ...(provider.organization ? { fetch: tenantFetch(provider.organization.allowPrivateNetworks) } : {}),
        onReadFailure: (detail, keptAgeMs) =>
          this.logger.warn(
            `JWKS of provider ${provider.name} unreadable: ${detail}${keptAgeMs === undefined ? '' : `; the keys read ${Math.round(keptAgeMs / 1000)} s ago keep verifying`}`,
          ),
      });
      if (provider.organization) this.organizationKeySets.set(this.cacheKey(provider), keySet, this.organizationKeySets.currentEpoch);
      else this.keySets.set(provider.name, keySet);
    }
    return keySet;
  }

  /**
   * A key getter for tokens the provider signs outside a login (back-channel logout tokens): the
   * keys its logins verify with, read again once for an unknown `kid` (at most once per
   * `jwks_cooldown`, counted with its logins' reads); an organization's every read through the
   * tenant rules. A set that cannot be read throws IdpUnreachableError: the provider is down.
   */
  async keyResolver(provider: OidcProvider): Promise<JWTVerifyGetKey> {
    const { server } = await this.metadata(provider);
    const keySet = this.keySetFor(provider, server.jwks_uri!);
    return async (header, token) => {
      const held = await this.keysOrUnreachable(() => keySet.current());
      try {
        return await held.resolver(header, token);
      } catch (error) {
        if ((error as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw error;
        const reread = await this.keysOrUnreachable(() => keySet.afterUnknownKid());
        if (!reread) throw error;
        return reread.resolver(header, token);
      }
    };
  }

  private async keysOrUnreachable<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (error instanceof KeySetUnavailableError) throw new IdpUnreachableError(error.message);
      throw error;
    }
  }

  /** A configured provider by its name; an organization's connection by its id and version. */
  private cacheKey(provider: OidcProvider): string {
    return provider.organization ? `${provider.name}@${provider.organization.version}` : provider.name;
  }

  private async metadata(provider: OidcProvider): Promise<Discovered> {
    const key = this.cacheKey(provider);
    const cached = provider.organization ? this.organizationDiscovered.get(key) : this.discovered.get(key);
    if (cached && this.clock.now() - cached.fetchedAt < DISCOVERY_TTL) return cached;
    let pending = this.discovering.get(key);
    if (!pending) {
      pending = this.discover(provider).finally(() => this.discovering.delete(key));
      this.discovering.set(key, pending);
    }
    return pending;
  }

  private async discover(provider: OidcProvider): Promise<Discovered> {
    let server: client.ServerMetadata;
    try {
      const found = await client.discovery(new URL(provider.options.issuer), provider.options.clientId, undefined, undefined, {
        execute: this.isLoopbackHttp(provider) ? [client.allowInsecureRequests] : [],
        [client.customFetch]: this.fetchFor(provider),
        timeout: IDP_TIMEOUT,
      });
      server = found.serverMetadata();
    } catch (error) {
      throw new OidcLoginFailure('discovery_failed', describeError(error));
    }
    // openid-client tolerates a few known multi-tenant issuers; we do not: the ID token's
    // `iss` is compared with this value, which must be the one configured.
    if (new URL(server.issuer).href !== new URL(provider.options.issuer).href) {
      throw new OidcLoginFailure('discovery_failed', `discovery names the issuer ${server.issuer}`);
    }
    if (!server.jwks_uri || !server.token_endpoint || !server.authorization_endpoint) {
      throw new OidcLoginFailure('discovery_failed', 'discovery lacks jwks_uri, token_endpoint or authorization_endpoint');
    }
    if (provider.organization) {
      // The keys are read by RemoteKeySet, not through fetchFor: their URL is held to the tenant rules here.
      try {
        await checkedTenantUrl(server.jwks_uri, provider.organization.allowPrivateNetworks);
      } catch (error) {
        throw new OidcLoginFailure('discovery_failed', `jwks_uri: ${(error as Error).message}`);
      }
    }
    const discovered = { server, fetchedAt: this.clock.now() };
    if (provider.organization) this.organizationDiscovered.set(this.cacheKey(provider), discovered, this.organizationDiscovered.currentEpoch);
    else this.discovered.set(provider.name, discovered);
    return discovered;
  }

  /** client_secret_basic unless the provider only takes client_secret_post; no secret: a public client. */
  private clientAuthentication(server: client.ServerMetadata, secret: string | undefined): client.ClientAuth {
    if (secret === undefined) return client.None();
    const supported = server.token_endpoint_auth_methods_supported;
    if (supported && !supported.includes('client_secret_basic') && supported.includes('client_secret_post')) {
      return client.ClientSecretPost(secret);
    }
    return client.ClientSecretBasic(secret);
  }

  private isLoopbackHttp(provider: OidcProvider): boolean {
    return new URL(provider.options.issuer).protocol === 'http:';
  }

  /**
   * An organization admin chose an organization's issuer, and its discovery names every other
   * URL: each request is held to the tenant rules (https, no private address) and follows no
   * redirect. A configured provider's go out as they are. Either's answer is read up to a bound.
   */
  private fetchFor(provider: OidcProvider): client.CustomFetch {
    const organization = provider.organization;
    if (!organization) return this.fetch;
    return async (url, init) => {
      let checked;
      try {
        checked = await checkedTenantUrl(url, organization.allowPrivateNetworks);
      } catch (error) {
        throw new OidcLoginFailure('discovery_failed', `${new URL(url).origin}: ${(error as Error).message}`);
      }
      // To the address that was checked: the tenant's names cannot rebind in between.
      const pinned: client.CustomFetch = (_url, options) =>
        fetchTenantUrl(checked, {
          method: options.method,
          headers: options.headers,
          body: options.body as string | URLSearchParams | null | undefined,
          signal: options.signal,
          timeoutMs: IDP_TIMEOUT * 1000,
        });
      return this.bounded(url, await this.fetchWith(pinned, url, init));
    };
  }

  /** Tells a provider that is down (network error, 5xx) apart from one that refuses. */
  private readonly fetch: client.CustomFetch = async (url, init) => this.bounded(url, await this.fetchWith(fetch, url, init));

  /** openid-client reads whatever body it is handed: hand it one read up to a bound (past it, the provider is failing). */
  private async bounded(url: string, response: Response): Promise<Response> {
    let body: string;
    try {
      body = await readBoundedText(response, MAX_IDP_ANSWER);
    } catch (error) {
      throw new IdpUnreachableError(`${new URL(url).origin}: ${describeError(error)}`);
    }
    // The text is decoded already: the encoding and length of what came over the wire no longer describe it.
    const headers = new Headers(response.headers);
    headers.delete('content-encoding');
    headers.delete('content-length');
    return new Response([204, 205, 304].includes(response.status) ? null : body, { status: response.status, statusText: response.statusText, headers });
  }

  private async fetchWith(send: client.CustomFetch, url: string, init: Parameters<client.CustomFetch>[1]): Promise<Response> {
    let response: Response;
    try {
      response = await send(url, init);
    } catch (error) {
      throw new IdpUnreachableError(`${new URL(url).origin}: ${describeError(error)}`);
    }
    if (response.status >= 500) {
      await response.body?.cancel();
      throw new IdpUnreachableError(`${new URL(url).origin}: HTTP ${response.status}`);
    }
    return response;
  }
}

/** An error's message and its causes', for the server log (openid-client nests them). */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error && parts.length < 4; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${e.message} (${code})` : e.message);
  }
  return parts.join(' <- ') || String(error);
}

export function causedBy<T>(error: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    if (e instanceof type) return e;
  }
  return undefined;
}
