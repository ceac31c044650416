import { Inject, Injectable } from '@nestjs/common';
import * as client from 'openid-client';
import { FabricClock } from '../common/clock.js';
import { FABRIC_RESOLVED_OPTIONS } from '../fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions, ResolvedOidcProviderOptions } from '../fabric-auth.options.js';
import { OidcLoginFailure } from './oidc-login.error.js';

/** Seconds any single request to a provider may take. */
const IDP_TIMEOUT = 10;
/** Milliseconds a discovery document is reused before it is read again. */
const DISCOVERY_TTL = 3_600_000;

/** A network failure or a 5xx of the provider: the provider is down, not the login bad. */
export class IdpUnreachableError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'IdpUnreachableError';
  }
}

interface Discovered {
  server: client.ServerMetadata;
  fetchedAt: number;
}

/** The provider's signing keys, with when they were fetched on FabricClock. */
interface KnownKeys {
  jwks: client.ExportedJWKSCache['jwks'];
  fetchedAt: number;
}

export interface OidcProvider {
  name: string;
  options: ResolvedOidcProviderOptions;
}

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
  private readonly keys = new Map<string, KnownKeys>();

  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly clock: FabricClock,
  ) {}

  provider(name: string): OidcProvider | undefined {
    const options = Object.hasOwn(this.options.providers, name) ? this.options.providers[name] : undefined;
    return options && { name, options };
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
    config[client.customFetch] = this.fetch;
    config.timeout = IDP_TIMEOUT;
    const known = this.keys.get(provider.name);
    if (known) {
      const age = Math.floor((this.clock.now() - known.fetchedAt) / 1000);
      client.setJwksCache(config, { jwks: known.jwks, uat: realNowSeconds() - age });
    }
    return config;
  }

  /**
   * Keeps the keys a login's Configuration fetched, for the next logins. openid-client
   * refetches the JWKS for an unknown `kid` only when its copy is a minute old, which
   * bounds what a flood of made-up `kid`s can cost the provider and us.
   */
  rememberKeys(provider: OidcProvider, config: client.Configuration): void {
    const cache = client.getJwksCache(config);
    if (!cache) return;
    this.keys.set(provider.name, { jwks: cache.jwks, fetchedAt: this.clock.now() - (realNowSeconds() - cache.uat) * 1000 });
  }

  private async metadata(provider: OidcProvider): Promise<Discovered> {
    const cached = this.discovered.get(provider.name);
    if (cached && this.clock.now() - cached.fetchedAt < DISCOVERY_TTL) return cached;
    let pending = this.discovering.get(provider.name);
    if (!pending) {
      pending = this.discover(provider).finally(() => this.discovering.delete(provider.name));
      this.discovering.set(provider.name, pending);
    }
    return pending;
  }

  private async discover(provider: OidcProvider): Promise<Discovered> {
    let server: client.ServerMetadata;
    try {
      const found = await client.discovery(new URL(provider.options.issuer), provider.options.clientId, undefined, undefined, {
        execute: this.isLoopbackHttp(provider) ? [client.allowInsecureRequests] : [],
        [client.customFetch]: this.fetch,
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
    const discovered = { server, fetchedAt: this.clock.now() };
    this.discovered.set(provider.name, discovered);
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

  /** Tells a provider that is down (network error, 5xx) apart from one that refuses. */
  private readonly fetch: client.CustomFetch = async (url, init) => {
    let response: Response;
    try {
      response = await fetch(url, init as RequestInit);
    } catch (error) {
      throw new IdpUnreachableError(`${new URL(url).origin}: ${describeError(error)}`);
    }
    if (response.status >= 500) {
      await response.body?.cancel();
      throw new IdpUnreachableError(`${new URL(url).origin}: HTTP ${response.status}`);
    }
    return response;
  };
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
