import { Resolver } from 'node:dns/promises';

/**
 * Port through which a domain claim is checked (`FABRIC_DNS_RESOLVER`, bound to the module's
 * `dnsResolver` extra): the TXT records at a name, each as its character-strings (a long record
 * arrives in chunks of up to 255). A name with no record rejects with the `node:dns` codes
 * `ENOTFOUND` or `ENODATA`; anything else is a lookup that failed.
 */
export interface FabricDnsResolver {
  resolveTxt(hostname: string): Promise<string[][]>;
}

/** Milliseconds per query to one server, and queries per lookup: a lookup gives up after ~4 s. */
const QUERY_TIMEOUT = 2_000;
const QUERY_TRIES = 2;

/** The default: the system's resolvers (`/etc/resolv.conf`), each query bounded. */
export class SystemDnsResolver implements FabricDnsResolver {
  private readonly resolver = new Resolver({ timeout: QUERY_TIMEOUT, tries: QUERY_TRIES });

  resolveTxt(hostname: string): Promise<string[][]> {
    return this.resolver.resolveTxt(hostname);
  }
}
