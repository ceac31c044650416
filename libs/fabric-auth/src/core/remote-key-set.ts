import type { createLocalJWKSet, JSONWebKeySet } from 'jose';
import type { FabricClock } from './clock.js';
import { FabricError } from './fabric-error.js';
import { BodyTooLargeError, readBoundedText } from './bounded-body.js';

/** The issuer's key set could not be read (network error, non-200, not a JWKS): the issuer is down, not the token bad. */
export class KeySetUnavailableError extends FabricError {
  constructor(detail: string) {
    super('key_set_unavailable', detail, { detail });
  }
}

export interface RemoteKeySetOptions {
  uri: string;
  /** Fewest milliseconds between two reads caused by an unknown `kid`, and between retries after a failed read. */
  cooldownMs: number;
  /** A key set this old is read again before use; when that read fails the old keys keep working. */
  maxAgeMs: number;
  timeoutMs: number;
  clock: FabricClock;
  /** Told of each failed read (at most one per cooldown), and whether older keys are kept: the caller logs it. */
  onReadFailure?: (detail: string, keptKeysAgeMs: number | undefined) => void;
  /**
   * How the key set is requested; by default `fetch` following no redirect. A key set at a URL a
   * tenant chose is read through `tenantFetch` (its host checked and pinned at each read).
   */
  fetch?: KeySetFetch;
}

/** A GET of the key set's URL; the answer's body is read by RemoteKeySet, bounded. */
export type KeySetFetch = (uri: string, init: { headers: Record<string, string>; timeoutMs: number }) => Promise<Response>;

const plainFetch: KeySetFetch = (uri, init) => fetch(uri, { headers: init.headers, redirect: 'error', signal: AbortSignal.timeout(init.timeoutMs) });

export type KeyResolver = ReturnType<typeof createLocalJWKSet>;

export interface Loaded {
  jwks: JSONWebKeySet;
  resolver: KeyResolver;
  fetchedAt: number;
}

/** A JWKS document larger than this is not a key set (a few dozen keys are ~30 KB). */
const MAX_JWKS_BYTES = 512 * 1024;

/**
 * An issuer's signing keys, read from its `jwks_uri` and kept. One read at a time; a key
 * set past its age is read again, and if that fails the old keys keep verifying (an outage
 * of the issuer's key endpoint must not log everybody out). An unknown `kid` causes a read
 * at most once per cooldown, counted from the last read it caused, so a rotation at the
 * issuer is seen at once while made-up `kid`s cost the issuer one request per cooldown.
 */
export class RemoteKeySet {
  private loaded: Loaded | undefined;
  private pending: Promise<Loaded> | undefined;
  private lastUnknownKidRead = Number.NEGATIVE_INFINITY;
  private lastFailure: { at: number; detail: string } | undefined;

  constructor(private readonly options: RemoteKeySetOptions) {}

  get uri(): string {
    return this.options.uri;
  }

  /** The keys held now, without reading: for callers that keep their own copy. */
  peek(): { jwks: JSONWebKeySet; ageMs: number } | undefined {
    return this.loaded && { jwks: this.loaded.jwks, ageMs: this.options.clock.now() - this.loaded.fetchedAt };
  }

  /** The keys to verify with; throws KeySetUnavailableError when there are none. */
  async current(): Promise<Loaded> {
    const now = this.options.clock.now();
    const loaded = this.loaded;
    if (loaded && now - loaded.fetchedAt < this.options.maxAgeMs) return loaded;
    if (this.recentlyFailed(now)) {
      if (loaded) return loaded;
      throw new KeySetUnavailableError(`${this.options.uri}: ${this.lastFailure!.detail} (retried after the cooldown)`);
    }
    try {
      return await this.read();
    } catch (error) {
      if (!loaded) throw error;
      return loaded;
    }
  }

  /**
   * After a token named a `kid` the held keys lack: the keys read again, or undefined when a
   * read for an unknown `kid` happened within the cooldown (the `kid` is unknown). Throws
   * KeySetUnavailableError when the read fails, or failed within the cooldown: the key may
   * well exist, we cannot tell.
   */
  async afterUnknownKid(): Promise<Loaded | undefined> {
    const now = this.options.clock.now();
    if (this.recentlyFailed(now)) throw new KeySetUnavailableError(`${this.options.uri}: ${this.lastFailure!.detail}`);
    if (this.pending) return this.pending;
    if (now - this.lastUnknownKidRead < this.options.cooldownMs) return undefined;
    this.lastUnknownKidRead = now;
    return this.read();
  }

  private recentlyFailed(now: number): boolean {
    return this.lastFailure !== undefined && now - this.lastFailure.at < this.options.cooldownMs;
  }

  private read(): Promise<Loaded> {
    this.pending ??= this.fetchKeys()
      .then(
        (loaded) => {
          this.loaded = loaded;
          this.lastFailure = undefined;
          return loaded;
        },
        (error: unknown) => {
          const detail = error instanceof KeySetUnavailableError ? error.message : `${this.options.uri}: ${describe(error)}`;
          const at = this.options.clock.now();
          this.lastFailure = { at, detail };
          this.options.onReadFailure?.(detail, this.loaded && at - this.loaded.fetchedAt);
          throw new KeySetUnavailableError(detail);
        },
      )
      .finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetchKeys(): Promise<Loaded> {
    const response = await (this.options.fetch ?? plainFetch)(this.options.uri, {
      headers: { accept: 'application/jwk-set+json, application/json' },
      timeoutMs: this.options.timeoutMs,
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new KeySetUnavailableError(`${this.options.uri}: HTTP ${response.status}`);
    }
    let jwks: unknown;
    try {
      jwks = JSON.parse(await readBoundedText(response, MAX_JWKS_BYTES));
    } catch (error) {
      if (error instanceof BodyTooLargeError) throw new KeySetUnavailableError(`${this.options.uri}: JWKS ${error.message}`);
      throw new KeySetUnavailableError(`${this.options.uri}: not JSON`);
    }
    const keys = (jwks as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'object' || k === null || Array.isArray(k))) {
      throw new KeySetUnavailableError(`${this.options.uri}: not a JSON Web Key Set`);
    }
    // jose is imported with the first key set: an app that trusts no issuer and has no OIDC never loads it.
    const { createLocalJWKSet } = await import('jose');
    return { jwks: jwks as JSONWebKeySet, resolver: createLocalJWKSet(jwks as JSONWebKeySet), fetchedAt: this.options.clock.now() };
  }
}

function describe(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error && parts.length < 3; e = e.cause) parts.push(e.message);
  return parts.join(' <- ') || String(error);
}
