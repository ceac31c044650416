import { Inject, Injectable, Logger } from '@nestjs/common';
import { FabricClock } from '../../core/clock.js';
import type { SamlMetadataReader, SamlMetadataSummary } from '../../core/ports/saml-metadata-reader.js';
import { FABRIC_RESOLVED_OPTIONS, FABRIC_ROUTE_PREFIX } from '../../core/fabric-auth.internal-constants.js';
import { FabricConfigError } from '../../options/fabric-config.error.js';
import { type ResolvedFabricAuthOptions, type ResolvedSamlProviderOptions, samlProviders } from '../../options/fabric-auth.options.js';
import { PublicBaseUrl } from '../../options/public-base-url.js';
import { SamlLoginFailure } from './saml-login.error.js';
import { attributeOf, descendants, elementChildren, parseXml, SAML_METADATA, textOf, XML_DSIG, type XmlNode } from './saml-xml.js';
import { readBoundedText } from '../../core/bounded-body.js';
import { BoundedCache } from '../../core/bounded-cache.js';
import { connectionProviderName, connectionIdOfProvider, type OrganizationSsoConnection, OrganizationSsoConnections } from '../../core/ports/organization-sso-connections.js';
import { fetchTenantDocument } from '../../core/remote-document.js';

/** What a login needs of the IdP, read from its metadata. */
export interface IdpMetadata {
  entityId: string;
  /** The HTTP-Redirect binding's SingleSignOnService. */
  ssoUrl: string;
  /** The HTTP-Redirect binding's SingleLogoutService, when the IdP has one. */
  sloUrl: string | null;
  /** Base64 DER of each signing certificate; several during a rollover. */
  certificates: string[];
}

export interface SamlConnection {
  /** Its place under `/auth/saml/`: the configured name, or `org/<id>` for an organization's connection. */
  name: string;
  /** The name sessions, linked identities and audit events know it by (`connectionProviderName` for an organization's). */
  providerName: string;
  options: ResolvedSamlProviderOptions;
  /** An organization's own connection, as the organizations feature read it for this request. */
  organization?: OrganizationSsoConnection;
}

/** Organizations' connections whose IdP metadata is held at once, at most. */
const MAX_ORGANIZATION_METADATA = 1000;
/** Milliseconds an organization's metadata is kept at most: past `METADATA_TTL` it is read again, and used while its IdP is down. */
const ORGANIZATION_METADATA_LIFETIME = 86_400_000;
const ORGANIZATION_PREFIX = 'org/';

/** Milliseconds metadata read from a URL is used before it is read again. */
const METADATA_TTL = 3_600_000;
/** Fewest milliseconds between two reads caused by a signature no held certificate verifies (a rollover). */
const METADATA_REFRESH_COOLDOWN = 60_000;
const METADATA_TIMEOUT = 10_000;
const MAX_METADATA = 1024 * 1024;
const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const MAX_ENTITY_ID = 500;

/** Reads an IdP's EntityDescriptor (alone, or the only IdP of an EntitiesDescriptor); throws with a sentence for the log. */
export function parseIdpMetadata(xml: string): IdpMetadata {
  let root: XmlNode;
  try {
    root = parseXml(xml);
  } catch (error) {
    throw new Error(`not readable XML (${(error as Error).message})`, { cause: error });
  }
  const idps = descendants(root, SAML_METADATA, 'EntityDescriptor').filter((e) => elementChildren(e, SAML_METADATA, 'IDPSSODescriptor').length > 0);
  if (idps.length !== 1) throw new Error(`${idps.length} EntityDescriptors with an IDPSSODescriptor (expected one)`);
  const entity = idps[0];
  const entityId = attributeOf(entity, 'entityID');
  if (!entityId || entityId.length > MAX_ENTITY_ID) throw new Error('no entityID (or longer than 500 characters)');
  const descriptor = elementChildren(entity, SAML_METADATA, 'IDPSSODescriptor')[0];
  const sso = elementChildren(descriptor, SAML_METADATA, 'SingleSignOnService').find((s) => attributeOf(s, 'Binding') === REDIRECT_BINDING);
  const ssoUrl = sso ? attributeOf(sso, 'Location') : null;
  if (!ssoUrl || !URL.canParse(ssoUrl) || !['https:', 'http:'].includes(new URL(ssoUrl).protocol)) throw new Error('no HTTP-Redirect SingleSignOnService');
  const slo = elementChildren(descriptor, SAML_METADATA, 'SingleLogoutService').find((s) => attributeOf(s, 'Binding') === REDIRECT_BINDING);
  const sloUrl = slo ? attributeOf(slo, 'Location') : null;
  const certificates = elementChildren(descriptor, SAML_METADATA, 'KeyDescriptor')
    .filter((k) => (attributeOf(k, 'use') ?? 'signing') === 'signing')
    .flatMap((k) => descendants(k, XML_DSIG, 'X509Certificate'))
    .map((c) => textOf(c).replace(/\s+/g, ''))
    .filter((c) => c.length > 0);
  if (certificates.length === 0) throw new Error('no signing certificate');
  const usableSlo = sloUrl !== null && URL.canParse(sloUrl) && ['https:', 'http:'].includes(new URL(sloUrl).protocol) ? sloUrl : null;
  return { entityId, ssoUrl, sloUrl: usableSlo, certificates: [...new Set(certificates)] };
}

/** The `SamlMetadataReader` port: an organization's IdP metadata, read as a login reads it. */
export class SamlIdpMetadataReader implements SamlMetadataReader {
  readonly available = true;

  read(xml: string): SamlMetadataSummary {
    const metadata = parseIdpMetadata(xml);
    return { entityId: metadata.entityId, ssoUrl: metadata.ssoUrl, sloUrl: metadata.sloUrl, certificates: metadata.certificates.length };
  }
}

interface Loaded {
  metadata: IdpMetadata;
  fetchedAt: number;
}

/**
 * The configured SAML connections and their IdPs. Inline metadata is read at startup (a bad
 * one stops it); metadata behind a URL is read on the first login (an unreachable IdP never
 * stops the app), kept an hour, and read again early when a response is signed by a
 * certificate it does not list, so a rollover at the IdP needs no restart.
 */
@Injectable()
export class SamlConnections {
  private readonly loaded = new Map<string, Loaded>();
  /** Organizations' metadata, by connection and version: an update reads it anew, and a deleted connection's ages out. */
  private readonly organizationLoaded: BoundedCache<Loaded>;
  private readonly loading = new Map<string, Promise<Loaded>>();
  private readonly logger = new Logger('FabricSaml');

  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    @Inject(FABRIC_ROUTE_PREFIX) private readonly routePrefix: string,
    private readonly publicBaseUrl: PublicBaseUrl,
    private readonly clock: FabricClock,
    @Inject(OrganizationSsoConnections) private readonly organizations: OrganizationSsoConnections,
  ) {
    this.organizationLoaded = new BoundedCache<Loaded>({ max: MAX_ORGANIZATION_METADATA, ttl: ORGANIZATION_METADATA_LIFETIME, now: () => clock.now() });
    for (const [name, connection] of Object.entries(samlProviders(options))) {
      if (connection.idpMetadata === undefined) continue;
      try {
        this.loaded.set(name, { metadata: parseIdpMetadata(connection.idpMetadata), fetchedAt: Number.POSITIVE_INFINITY });
      } catch (error) {
        throw new FabricConfigError([`auth.providers.${name}.idp_metadata: ${(error as Error).message}`]);
      }
    }
  }

  /** A configured connection by its name, or an organization's enabled one by `org/<id>`; undefined when there is none. */
  async connection(name: string): Promise<SamlConnection | undefined> {
    if (name.startsWith(ORGANIZATION_PREFIX)) return this.organizationConnection(name.slice(ORGANIZATION_PREFIX.length));
    const options = Object.hasOwn(this.options.providers, name) ? this.options.providers[name] : undefined;
    return options?.type === 'saml' ? { name, providerName: name, options } : undefined;
  }

  /** The connection a session was opened through (its provider name). */
  async ofSession(providerName: string): Promise<SamlConnection | undefined> {
    const organizationConnection = connectionIdOfProvider(providerName);
    return organizationConnection === undefined ? this.connection(providerName) : this.organizationConnection(organizationConnection);
  }

  /**
   * An organization's connection as a configured one would read: its metadata as given, the SP
   * entity id its metadata URL, IdP-initiated logins off, SHA-1 refused, signed assertions
   * wanted. Its role mapping gives org roles (`organization`), never global ones.
   */
  private async organizationConnection(id: string): Promise<SamlConnection | undefined> {
    const found = await this.organizations.enabledConnection(id);
    if (found?.protocol !== 'saml' || !found.saml) return undefined;
    return {
      name: `${ORGANIZATION_PREFIX}${found.id}`,
      providerName: connectionProviderName(found.id),
      organization: found,
      options: {
        type: 'saml',
        ...(found.saml.idpMetadata === null ? {} : { idpMetadata: found.saml.idpMetadata }),
        ...(found.saml.idpMetadataUrl === null ? {} : { idpMetadataUrl: found.saml.idpMetadataUrl }),
        allowIdpInitiated: false,
        wantAssertionsSigned: true,
        allowSha1: false,
        jitProvisioning: found.jitProvisioning,
        defaultRoles: [],
        linkVerifiedEmail: found.linkVerifiedEmail,
        ...(found.roleClaim === null ? {} : { roleClaim: found.roleClaim }),
        roleMapping: {},
      },
    };
  }

  /** `<public base URL>/<prefix>/auth/saml/<name>/<route>`. */
  url(connection: SamlConnection, route: 'acs' | 'metadata' | 'login' | 'slo'): string {
    const prefix = this.routePrefix.replace(/^\/+|\/+$/g, '');
    return `${this.publicBaseUrl.get()}${prefix ? `/${prefix}` : ''}/auth/saml/${connection.name}/${route}`;
  }

  spEntityId(connection: SamlConnection): string {
    return connection.options.spEntityId ?? this.url(connection, 'metadata');
  }

  /** The IdP's metadata; `SamlLoginFailure('metadata_unavailable')` when it cannot be read. */
  async metadata(connection: SamlConnection): Promise<IdpMetadata> {
    if (connection.organization && connection.options.idpMetadata !== undefined) return this.inlineOfOrganization(connection);
    const known = this.held(connection);
    if (known && this.clock.now() - known.fetchedAt < METADATA_TTL) return known.metadata;
    try {
      return (await this.fetch(connection)).metadata;
    } catch (error) {
      // An IdP down for a moment keeps working with what was read before.
      if (known) return known.metadata;
      throw new SamlLoginFailure('metadata_unavailable', (error as Error).message);
    }
  }

  /** After a signature no held certificate verified: the metadata read again (at most once a minute); true when it changed. */
  async refreshAfterUnknownSigner(connection: SamlConnection): Promise<boolean> {
    const known = this.held(connection);
    if (connection.options.idpMetadataUrl === undefined || (known && this.clock.now() - known.fetchedAt < METADATA_REFRESH_COOLDOWN)) return false;
    try {
      const fresh = await this.fetch(connection);
      return JSON.stringify(fresh.metadata.certificates) !== JSON.stringify(known?.metadata.certificates);
    } catch (error) {
      this.logger.warn(`SAML metadata of ${connection.name} could not be read again: ${(error as Error).message}`);
      return false;
    }
  }

  /** An organization's inline metadata, read once per version of the connection. */
  private inlineOfOrganization(connection: SamlConnection): IdpMetadata {
    const key = this.cacheKey(connection);
    const known = this.organizationLoaded.get(key);
    if (known) return known.metadata;
    let metadata: IdpMetadata;
    try {
      metadata = parseIdpMetadata(connection.options.idpMetadata!);
    } catch (error) {
      throw new SamlLoginFailure('metadata_unavailable', (error as Error).message);
    }
    this.organizationLoaded.set(key, { metadata, fetchedAt: this.clock.now() }, this.organizationLoaded.currentEpoch);
    return metadata;
  }

  /** A configured connection by its name; an organization's by its id and version. */
  private cacheKey(connection: SamlConnection): string {
    return connection.organization ? `${connection.name}@${connection.organization.version}` : connection.name;
  }

  private held(connection: SamlConnection): Loaded | undefined {
    return connection.organization ? this.organizationLoaded.get(this.cacheKey(connection)) : this.loaded.get(connection.name);
  }

  private fetch(connection: SamlConnection): Promise<Loaded> {
    const key = this.cacheKey(connection);
    const running = this.loading.get(key);
    if (running) return running;
    const load = this.read(connection).then((metadata) => {
      const loaded = { metadata, fetchedAt: this.clock.now() };
      if (connection.organization) this.organizationLoaded.set(key, loaded, this.organizationLoaded.currentEpoch);
      else this.loaded.set(connection.name, loaded);
      return loaded;
    });
    this.loading.set(key, load);
    return load.finally(() => this.loading.delete(key));
  }

  /** An organization admin chose an organization's URL: it is read by the tenant rules (https, no private address, no redirect, bounded). */
  private async read(connection: SamlConnection): Promise<IdpMetadata> {
    const url = connection.options.idpMetadataUrl!;
    if (connection.organization) {
      const xml = await fetchTenantDocument(url, {
        timeoutMs: METADATA_TIMEOUT,
        maxBytes: MAX_METADATA,
        accept: 'application/samlmetadata+xml, application/xml, text/xml',
        allowPrivate: connection.organization.allowPrivateNetworks,
      });
      return parseIdpMetadata(xml);
    }
    const response = await fetch(url, {
      redirect: 'error',
      signal: AbortSignal.timeout(METADATA_TIMEOUT),
      headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' },
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`metadata URL answered ${response.status}`);
    }
    return parseIdpMetadata(await readBoundedText(response, MAX_METADATA));
  }
}
