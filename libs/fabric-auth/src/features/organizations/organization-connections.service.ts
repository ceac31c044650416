import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { FabricClock } from '../../core/clock.js';
import { FABRIC_RESOLVED_OPTIONS, FABRIC_ROUTE_PREFIX } from '../../core/fabric-auth.internal-constants.js';
import { fabricError } from '../../core/fabric-error.js';
import { isUuid } from '../../core/ids.js';
import { KeyEncryption } from '../../core/key-encryption.js';
import { SamlMetadataReader } from '../../core/ports/saml-metadata-reader.js';
import type { OrganizationSsoConnection, OrganizationSsoConnections } from '../../core/ports/organization-sso-connections.js';
import { fetchTenantDocument, tenantUrlProblem } from '../../core/remote-document.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { AuditService } from '../../data/audit.service.js';
import { FabricTransactions } from '../../data/transactions.js';
import { encryptionKeyOf, type ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { OWNER_ROLE } from '../../options/organizations.options.js';
import { PublicBaseUrl } from '../../options/public-base-url.js';
import { OrganizationDomainEntity } from '../../schema/entities/organization-domain.entity.js';
import { OrganizationSsoConnectionEntity } from '../../schema/entities/organization-sso-connection.entity.js';
import { OrganizationEntity } from '../../schema/entities/organization.entity.js';
import type { SsoDiscoveryDto } from './dto/sso-discovery.dto.js';
import type { ConnectionDto, ConnectionTestDto, CreateConnectionDto, UpdateConnectionDto } from './dto/organization-connection.dto.js';
import { orgAudit } from './organization-audit.js';
import { OrganizationStandings, type OrgStanding } from './organization-standings.js';

/** Connections an organization has at most: the list is one answer. */
export const MAX_ORGANIZATION_CONNECTIONS = 20;
/** What a connection's test (and a login's read) waits for the IdP, and reads of it at most. */
const IDP_TIMEOUT_MS = 10_000;
const MAX_DISCOVERY_BYTES = 256 * 1024;
const MAX_METADATA_BYTES = 1024 * 1024;
/** As much of a JWKS as a login reads (RemoteKeySet). */
const MAX_JWKS_BYTES = 512 * 1024;
const SIGNING_KEY_TYPES = new Set<unknown>(['RSA', 'EC', 'OKP']);
const OFF = 'SSO connections are not enabled on this server (auth.organizations.sso_connections)';

type Protocol = 'oidc' | 'saml';

/**
 * An organization's own single sign-on connections (`/orgs/{org}/connections`, SPEC §16):
 * created, read, changed, tested and deleted by its `org:manage` holders (or a platform admin),
 * never visible from another organization (an id of another organization's connection is 404,
 * as an unknown one). The OIDC client secret is sealed at rest with the connection's id as
 * associated data and never answered. IdP URLs are https and, unless
 * `auth.organizations.sso_connections_private_networks`, never on the server's own networks.
 */
@Injectable()
export class OrganizationConnectionsService implements OrganizationSsoConnections {
  private readonly secrets: KeyEncryption;

  constructor(
    @InjectRepository(OrganizationSsoConnectionEntity) private readonly connections: Repository<OrganizationSsoConnectionEntity>,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    @Inject(FABRIC_ROUTE_PREFIX) private readonly routePrefix: string,
    @Inject(SamlMetadataReader) private readonly saml: SamlMetadataReader,
    private readonly publicBaseUrl: PublicBaseUrl,
    private readonly standings: OrganizationStandings,
    private readonly audit: AuditService,
    private readonly transactions: FabricTransactions,
    private readonly clock: FabricClock,
  ) {
    this.secrets = new KeyEncryption(encryptionKeyOf(options), 'sso-client-secret');
  }

  /** The `OrganizationSsoConnections` port: off with `auth.organizations.sso_connections`. */
  get available(): boolean {
    return this.options.organizations.ssoConnections === true;
  }

  /**
   * The port's read, at every login through a connection: an unknown, disabled or deleted one is
   * null (the login routes' 404); a secret that no longer opens (the encryption key changed) too.
   */
  async enabledConnection(id: string): Promise<OrganizationSsoConnection | null> {
    if (!this.available || !isUuid(id)) return null;
    const row = await this.connections.findOneBy({ id, enabled: true });
    if (!row) return null;
    const domains = await this.connections.manager.find(OrganizationDomainEntity, { where: { organizationId: row.organizationId, verified: true }, select: { domain: true } });
    const base = {
      id: row.id,
      organizationId: row.organizationId,
      version: row.updatedAt.getTime(),
      roleClaim: row.roleClaim,
      roleMapping: row.roleMapping,
      jitProvisioning: row.jitProvisioning,
      linkVerifiedEmail: row.linkVerifiedEmail,
      emailDomains: domains.map((d) => d.domain),
      allowPrivateNetworks: this.options.organizations.ssoConnectionsPrivateNetworks === true,
    };
    if (row.protocol === 'saml') return { ...base, protocol: 'saml', saml: { idpMetadata: row.samlIdpMetadata, idpMetadataUrl: row.samlIdpMetadataUrl } };
    const secret = row.oidcClientSecret === null ? undefined : this.secrets.open(row.oidcClientSecret, row.id);
    if (!secret || !row.oidcIssuer || !row.oidcClientId) return null;
    return { ...base, protocol: 'oidc', oidc: { issuer: row.oidcIssuer, clientId: row.oidcClientId, clientSecret: secret.toString('utf8') } };
  }

  /** Refused before the organization is looked at: the answer says nothing of which exist. */
  assertEnabled(): void {
    if (!this.options.organizations.ssoConnections) throw fabricError('connection_not_found', OFF);
  }

  async list(standing: OrgStanding): Promise<{ items: ConnectionDto[] }> {
    const rows = await this.connections.find({ where: { organizationId: standing.organization.id }, order: { createdAt: 'ASC', id: 'ASC' } });
    return { items: rows.map((r) => this.view(r)) };
  }

  async get(standing: OrgStanding, id: string): Promise<ConnectionDto> {
    return this.view(await this.find(standing, id));
  }

  async create(standing: OrgStanding, dto: CreateConnectionDto, request?: HttpRequestLike): Promise<ConnectionDto> {
    const organizationId = standing.organization.id;
    const id = randomUUID();
    const now = new Date(this.clock.now());
    const row: OrganizationSsoConnectionEntity = {
      id,
      organizationId,
      name: dto.name,
      protocol: dto.protocol,
      enabled: dto.enabled ?? true,
      oidcIssuer: null,
      oidcClientId: null,
      oidcClientSecret: null,
      samlIdpMetadata: null,
      samlIdpMetadataUrl: null,
      roleClaim: dto.role_claim ?? null,
      roleMapping: dto.role_mapping ?? {},
      jitProvisioning: dto.jit_provisioning ?? true,
      linkVerifiedEmail: dto.link_verified_email ?? false,
      createdAt: now,
      updatedAt: now,
    };
    this.applyProtocolSettings(row, dto, true);
    await this.transactions.run(async (tx) => {
      if (!(await this.transactions.lock(tx, OrganizationEntity, organizationId))) throw fabricError('organization_not_found', 'Organization not found');
      await this.checkRoleMapping(standing, row.roleMapping);
      if ((await tx.manager.countBy(OrganizationSsoConnectionEntity, { organizationId })) >= MAX_ORGANIZATION_CONNECTIONS) {
        throw fabricError('invalid_request', `An organization has at most ${MAX_ORGANIZATION_CONNECTIONS} connections`);
      }
      await tx.manager.insert(OrganizationSsoConnectionEntity, row);
      await this.audit.recordIn(tx, orgAudit(standing, 'organization.connection.create', { type: 'sso_connection', id }, request, { protocol: row.protocol, name: row.name }));
    });
    return this.view(row);
  }

  async update(standing: OrgStanding, id: string, dto: UpdateConnectionDto, request?: HttpRequestLike): Promise<ConnectionDto> {
    const current = await this.find(standing, id);
    const next: OrganizationSsoConnectionEntity = { ...current };
    if (dto.name !== undefined) next.name = dto.name;
    if (dto.enabled !== undefined) next.enabled = dto.enabled;
    if (dto.role_claim !== undefined) next.roleClaim = dto.role_claim;
    if (dto.role_mapping !== undefined) next.roleMapping = dto.role_mapping;
    if (dto.jit_provisioning !== undefined) next.jitProvisioning = dto.jit_provisioning;
    if (dto.link_verified_email !== undefined) next.linkVerifiedEmail = dto.link_verified_email;
    this.applyProtocolSettings(next, dto, false);
    // The mapping hands its roles to whoever the IdP vouches for: repointing, widening or re-enabling
    // it is granting them, so it is held to the caller's ceiling as a new mapping is.
    const grants =
      dto.role_mapping !== undefined ||
      dto.oidc !== undefined ||
      dto.saml !== undefined ||
      dto.role_claim !== undefined ||
      dto.jit_provisioning !== undefined ||
      dto.link_verified_email !== undefined ||
      dto.enabled === true;
    if (grants) await this.checkRoleMapping(standing, next.roleMapping);
    next.updatedAt = new Date(this.clock.now());
    const fields = Object.keys(dto).filter((k) => (dto as Record<string, unknown>)[k] !== undefined);
    await this.transactions.run(async (tx) => {
      const { id: _id, organization: _organization, ...changes } = next;
      const updated = await tx.manager.update(OrganizationSsoConnectionEntity, { id, organizationId: standing.organization.id }, changes);
      if (!updated.affected) throw fabricError('connection_not_found', 'Connection not found');
      await this.audit.recordIn(tx, orgAudit(standing, 'organization.connection.update', { type: 'sso_connection', id }, request, { fields: fields.join(',') }));
    });
    return this.view(next);
  }

  async remove(standing: OrgStanding, id: string, request?: HttpRequestLike): Promise<void> {
    if (!isUuid(id)) throw fabricError('connection_not_found', 'Connection not found');
    await this.transactions.run(async (tx) => {
      const deleted = await tx.manager.delete(OrganizationSsoConnectionEntity, { id, organizationId: standing.organization.id });
      if (!deleted.affected) throw fabricError('connection_not_found', 'Connection not found');
      await this.audit.recordIn(tx, orgAudit(standing, 'organization.connection.delete', { type: 'sso_connection', id }, request));
    });
  }

  /**
   * Reads what a login would read of the IdP — the OIDC discovery document, or the SAML
   * metadata (inline or from its URL) — and answers what is wrong with it. Changes nothing.
   */
  async test(standing: OrgStanding, id: string): Promise<ConnectionTestDto> {
    const connection = await this.find(standing, id);
    try {
      return connection.protocol === 'oidc' ? await this.testOidc(connection) : await this.testSaml(connection);
    } catch (error) {
      return { ok: false, problems: [(error as Error).message] };
    }
  }

  /**
   * Home-realm discovery: the login URL of the first enabled connection of the organization that
   * verified the email's domain, or `{sso: false}` — the same answer for a domain nobody claims,
   * one only claimed, and one verified by an organization without a connection, so an
   * unauthenticated caller learns "this domain signs in with SSO" and nothing more (not which
   * organization, nor whether anyone has that address).
   */
  async discover(domain: string, returnTo: string | undefined): Promise<SsoDiscoveryDto> {
    if (!this.options.organizations.ssoConnections) return { sso: false };
    const connection = await this.connections
      .createQueryBuilder('c')
      .innerJoin(OrganizationDomainEntity, 'd', 'd.organizationId = c.organizationId AND d.domain = :domain AND d.verified = :verified', { domain, verified: true })
      .where('c.enabled = :enabled', { enabled: true })
      .orderBy('c.createdAt', 'ASC')
      .addOrderBy('c.id', 'ASC')
      .select(['c.id', 'c.protocol'])
      .getOne();
    if (!connection) return { sso: false };
    return { sso: true, protocol: connection.protocol as Protocol, login_url: this.loginUrl(connection, returnTo) };
  }

  /** The login URL of an organization's connection; `return_to` as the client gave it (the login route keeps it only when it is a path here). */
  loginUrl(connection: Pick<OrganizationSsoConnectionEntity, 'id' | 'protocol'>, returnTo?: string): string {
    const url = this.url(connection.protocol as Protocol, connection.id, 'login');
    return returnTo === undefined ? url : `${url}?${new URLSearchParams({ return_to: returnTo }).toString()}`;
  }

  private async testOidc(connection: OrganizationSsoConnectionEntity): Promise<ConnectionTestDto> {
    const issuer = connection.oidcIssuer!;
    const text = await fetchTenantDocument(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, {
      timeoutMs: IDP_TIMEOUT_MS,
      maxBytes: MAX_DISCOVERY_BYTES,
      accept: 'application/json',
      allowPrivate: this.options.organizations.ssoConnectionsPrivateNetworks,
    });
    let document: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      document = parsed as Record<string, unknown>;
    } catch {
      return { ok: false, problems: ['The discovery document is not a JSON object'] };
    }
    const problems: string[] = [];
    if (document.issuer !== issuer) problems.push(`The discovery document names the issuer ${JSON.stringify(document.issuer)}, not ${JSON.stringify(issuer)}`);
    for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
      const value = document[endpoint];
      if (typeof value !== 'string' || tenantUrlProblem(value, this.options.organizations.ssoConnectionsPrivateNetworks) !== undefined) {
        problems.push(`${endpoint} is missing or not an https URL`);
      }
    }
    const codeFlow = Array.isArray(document.response_types_supported) && document.response_types_supported.includes('code');
    if (!codeFlow) problems.push('response_types_supported does not list code');
    if (typeof document.jwks_uri === 'string' && tenantUrlProblem(document.jwks_uri, this.options.organizations.ssoConnectionsPrivateNetworks) === undefined) {
      const problem = await this.jwksProblem(document.jwks_uri);
      if (problem) problems.push(problem);
    }
    const asText = (v: unknown) => (typeof v === 'string' ? v.slice(0, 2048) : null);
    return {
      ok: problems.length === 0,
      problems,
      idp: {
        issuer: asText(document.issuer),
        authorization_endpoint: asText(document.authorization_endpoint),
        token_endpoint: asText(document.token_endpoint),
        jwks_uri: asText(document.jwks_uri),
      },
    };
  }

  /**
   * The keys a login would verify ID tokens with, read as a login reads them (the tenant rules,
   * bounded): a problem when they cannot be read or hold no public signing key; else undefined.
   */
  private async jwksProblem(uri: string): Promise<string | undefined> {
    let text: string;
    try {
      text = await fetchTenantDocument(uri, {
        timeoutMs: IDP_TIMEOUT_MS,
        maxBytes: MAX_JWKS_BYTES,
        accept: 'application/jwk-set+json, application/json',
        allowPrivate: this.options.organizations.ssoConnectionsPrivateNetworks,
      });
    } catch (error) {
      return `The JWKS could not be read: ${(error as Error).message}`;
    }
    let keys: unknown;
    try {
      keys = (JSON.parse(text) as { keys?: unknown } | null)?.keys;
    } catch {
      return 'The JWKS is not JSON';
    }
    if (!Array.isArray(keys)) return 'The JWKS is not a JSON Web Key Set (no keys array)';
    const signing = keys.filter(
      (k): k is Record<string, unknown> =>
        typeof k === 'object' && k !== null && SIGNING_KEY_TYPES.has((k as Record<string, unknown>).kty) && ((k as Record<string, unknown>).use ?? 'sig') === 'sig',
    );
    if (signing.length === 0) return 'The JWKS holds no signing key (RSA, EC or OKP with use sig)';
    if (signing.some((k) => k.d !== undefined)) return 'The JWKS publishes a private key: the IdP must publish public keys only';
    return undefined;
  }

  private async testSaml(connection: OrganizationSsoConnectionEntity): Promise<ConnectionTestDto> {
    if (!this.saml.available) return { ok: false, problems: ['SAML is not enabled on this server'] };
    const xml =
      connection.samlIdpMetadata ??
      (await fetchTenantDocument(connection.samlIdpMetadataUrl!, {
        timeoutMs: IDP_TIMEOUT_MS,
        maxBytes: MAX_METADATA_BYTES,
        accept: 'application/samlmetadata+xml, application/xml, text/xml',
        allowPrivate: this.options.organizations.ssoConnectionsPrivateNetworks,
      }));
    let summary;
    try {
      summary = this.saml.read(xml);
    } catch (error) {
      return { ok: false, problems: [`The IdP metadata is not usable: ${(error as Error).message}`] };
    }
    return { ok: true, problems: [], idp: { entity_id: summary.entityId, sso_url: summary.ssoUrl, slo_url: summary.sloUrl, signing_certificates: summary.certificates } };
  }

  /** The protocol's settings from a create or update body, checked: a 400 says what is missing or wrong. */
  private applyProtocolSettings(row: OrganizationSsoConnectionEntity, dto: CreateConnectionDto | UpdateConnectionDto, creating: boolean): void {
    const allowPrivate = this.options.organizations.ssoConnectionsPrivateNetworks;
    const other = row.protocol === 'oidc' ? 'saml' : 'oidc';
    if (dto[other] !== undefined) throw fabricError('invalid_request', `A connection with protocol ${row.protocol} takes no ${other} settings`);
    if (row.protocol === 'oidc') {
      const oidc = dto.oidc;
      if (oidc === undefined) {
        if (creating) throw fabricError('invalid_request', 'oidc settings (issuer, client_id, client_secret) are required');
        return;
      }
      const problem = tenantUrlProblem(oidc.issuer, allowPrivate);
      if (problem || new URL(oidc.issuer).search) throw fabricError('invalid_request', `oidc.issuer ${problem ?? 'must not have a query'}`);
      if (creating && oidc.client_secret === undefined) throw fabricError('invalid_request', 'oidc.client_secret is required');
      row.oidcIssuer = oidc.issuer;
      row.oidcClientId = oidc.client_id;
      if (oidc.client_secret !== undefined) row.oidcClientSecret = this.secrets.seal(Buffer.from(oidc.client_secret, 'utf8'), row.id);
      return;
    }
    const saml = dto.saml;
    if (!this.saml.available) throw fabricError('invalid_request', 'SAML is not enabled on this server');
    if (saml === undefined) {
      if (creating) throw fabricError('invalid_request', 'saml settings (idp_metadata or idp_metadata_url) are required');
      return;
    }
    if ((saml.idp_metadata === undefined) === (saml.idp_metadata_url === undefined))
      throw fabricError('invalid_request', 'Give saml.idp_metadata or saml.idp_metadata_url (one of them)');
    if (saml.idp_metadata !== undefined) {
      try {
        this.saml.read(saml.idp_metadata);
      } catch (error) {
        throw fabricError('invalid_request', `saml.idp_metadata: ${(error as Error).message}`);
      }
    } else {
      const problem = tenantUrlProblem(saml.idp_metadata_url!, allowPrivate);
      if (problem) throw fabricError('invalid_request', `saml.idp_metadata_url ${problem}`);
    }
    row.samlIdpMetadata = saml.idp_metadata ?? null;
    row.samlIdpMetadataUrl = saml.idp_metadata_url ?? null;
  }

  /** Every mapped role exists in the organization, is not `owner`, and is within what the caller holds there. */
  private async checkRoleMapping(standing: OrgStanding, mapping: Record<string, string[]>): Promise<void> {
    const names = [...new Set(Object.values(mapping).flat())];
    if (names.includes(OWNER_ROLE)) throw fabricError('invalid_request', 'A connection never maps to the owner role');
    const roles = await this.standings.existingRoles(standing.organization.id, names);
    this.standings.assertMayGrant(standing, roles, 'map these roles');
  }

  private async find(standing: OrgStanding, id: string): Promise<OrganizationSsoConnectionEntity> {
    const row = isUuid(id) ? await this.connections.findOneBy({ id, organizationId: standing.organization.id }) : null;
    if (!row) throw fabricError('connection_not_found', 'Connection not found');
    return row;
  }

  private url(protocol: Protocol, id: string, route: string): string {
    const prefix = this.routePrefix.replace(/^\/+|\/+$/g, '');
    return `${this.publicBaseUrl.get()}${prefix ? `/${prefix}` : ''}/auth/${protocol}/org/${id}/${route}`;
  }

  private view(row: OrganizationSsoConnectionEntity): ConnectionDto {
    const protocol = row.protocol as Protocol;
    return {
      id: row.id,
      name: row.name,
      protocol,
      enabled: row.enabled,
      ...(protocol === 'oidc'
        ? {
            oidc: {
              issuer: row.oidcIssuer ?? '',
              client_id: row.oidcClientId ?? '',
              client_secret_set: row.oidcClientSecret !== null,
              redirect_uri: this.url('oidc', row.id, 'callback'),
              post_logout_redirect_uri: `${this.publicBaseUrl.get()}/`,
              backchannel_logout_uri: this.url('oidc', row.id, 'backchannel-logout'),
            },
          }
        : {
            saml: {
              idp_metadata_url: row.samlIdpMetadataUrl,
              idp_metadata_set: row.samlIdpMetadata !== null,
              sp_entity_id: this.url('saml', row.id, 'metadata'),
              acs_url: this.url('saml', row.id, 'acs'),
              metadata_url: this.url('saml', row.id, 'metadata'),
              slo_url: this.url('saml', row.id, 'slo'),
            },
          }),
      role_claim: row.roleClaim,
      role_mapping: row.roleMapping,
      jit_provisioning: row.jitProvisioning,
      link_verified_email: row.linkVerifiedEmail,
      login_url: this.loginUrl(row),
      created_at: row.createdAt.toISOString(),
      updated_at: row.updatedAt.toISOString(),
    };
  }
}
