import { Inject, Injectable, Logger } from '@nestjs/common';
import * as client from 'openid-client';
import { FabricClock } from '../../core/clock.js';
import { KeySetUnavailableError, RemoteKeySet } from '../../core/remote-key-set.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
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
  private readonly keySets = new Map<string, RemoteKeySet>();
  private readonly logger = new Logger('FabricOidc');

  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly clock: FabricClock,
  ) {}

  provider(name: string): OidcProvider | undefined {
    const options = Object.hasOwn(this.options.providers, name) ? this.options.providers[name] : undefined;
    return options?.type === 'oidc' ? { name, options } : undefined;
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
      const age = Math.min(OPENID_CLIENT_MAX_AGE - 1, Math.max(OPENID_CLIENT_UNKNOWN_KID_AGE, Math.floor(held.ageMs / 1000)));
      client.setJwksCache(config, { jwks: held.jwks, uat: realNowSeconds() - age });
    }
    const jwksUri = new URL(server.jwks_uri!).href;
    config[client.customFetch] = (url, init) => (url === jwksUri ? this.keysResponse(keySet, handedOver) : this.fetch(url, init));
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
    let keySet = this.keySets.get(provider.name);
    if (keySet?.uri !== uri) {
      keySet = new RemoteKeySet({
        uri,
        cooldownMs: provider.options.jwksCooldown * 1000,
        maxAgeMs: JWKS_MAX_AGE,
        timeoutMs: IDP_TIMEOUT * 1000,
        clock: this.clock,
        onReadFailure: (detail, keptAgeMs) =>
          this.logger.warn(
            `JWKS of provider ${provider.name} unreadable: ${detail}${keptAgeMs === undefined ? '' : `; the keys read ${Math.round(keptAgeMs / 1000)} s ago keep verifying`}`,
          ),
      });
      this.keySets.set(provider.name, keySet);
    }
    return keySet;
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
      response = await fetch(url, init);
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
