import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { FabricClock } from '../../core/clock.js';
import { FABRIC_DNS_RESOLVER } from '../../core/fabric-auth.internal-constants.js';
import { fabricError } from '../../core/fabric-error.js';
import type { FabricDnsResolver } from '../../core/ports/dns-resolver.js';
import { principalHasPermission } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { AuditService } from '../../data/audit.service.js';
import { isUniqueViolation } from '../../data/db-errors.js';
import { type FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import { OrganizationDomainEntity } from '../../schema/entities/organization-domain.entity.js';
import { OrganizationEntity } from '../../schema/entities/organization.entity.js';
import type { OrganizationDomainClaimDto } from './dto/organization-domain.dto.js';
import { asciiDomain } from './dto/organization.dto.js';
import { orgAudit } from './organization-audit.js';
import type { OrgStanding } from './organization-standings.js';

/** Domains an organization claims at most (verified or not), as `PATCH /orgs/{org}` allows. */
export const MAX_ORGANIZATION_DOMAINS = 20;
/** The label in front of the domain where its claim's TXT record lives. */
export const DOMAIN_RECORD_LABEL = '_fabric-auth';
/** What the TXT record holds before the claim's token. */
export const DOMAIN_RECORD_PREFIX = 'fabric-auth-domain-verification=';
/** Milliseconds a verification waits for the resolver, whichever is injected. */
const DNS_TIMEOUT = 5_000;
/** TXT records read at the name at most, and characters of them: the answer is the resolver's, not ours to trust in size. */
const MAX_RECORDS = 50;
const MAX_RECORD_LENGTH = 4_096;

/** A new claim's token: 128 random bits, hex. */
export function newDomainToken(): string {
  return randomBytes(16).toString('hex');
}

function toDto(claim: OrganizationDomainEntity): OrganizationDomainClaimDto {
  return {
    domain: claim.domain,
    verified: claim.verified,
    verified_by: claim.verified ? ((claim.verifiedBy as 'dns' | 'admin' | null) ?? 'admin') : null,
    verified_at: claim.verifiedAt ? claim.verifiedAt.toISOString() : null,
    verification:
      claim.verified || !claim.verificationToken
        ? null
        : { method: 'dns_txt', record_name: `${DOMAIN_RECORD_LABEL}.${claim.domain}`, record_value: `${DOMAIN_RECORD_PREFIX}${claim.verificationToken}` },
    created_at: claim.createdAt.toISOString(),
  };
}

type Lookup = { found: true; records: string[] } | { found: false; reason: string };

/**
 * An organization's email domains (`/orgs/{org}/domains`): claimed by any number of
 * organizations, verified by one at most — by a TXT record at `_fabric-auth.<domain>` holding
 * the claim's token, checked here through the `FABRIC_DNS_RESOLVER` port, or by a platform
 * admin's confirmation. The partial unique index on verified domains settles two organizations
 * verifying at once (409 `domain_taken`).
 */
@Injectable()
export class OrganizationDomainsService {
  private readonly logger = new Logger('FabricOrganizations');

  constructor(
    @InjectRepository(OrganizationDomainEntity) private readonly domains: Repository<OrganizationDomainEntity>,
    @Inject(FABRIC_DNS_RESOLVER) private readonly dns: FabricDnsResolver,
    private readonly audit: AuditService,
    private readonly transactions: FabricTransactions,
    private readonly clock: FabricClock,
  ) {}

  async list(standing: OrgStanding): Promise<{ items: OrganizationDomainClaimDto[] }> {
    const claims = await this.domains.find({ where: { organizationId: standing.organization.id }, order: { domain: 'ASC' } });
    return { items: claims.map(toDto) };
  }

  async get(standing: OrgStanding, domain: string): Promise<OrganizationDomainClaimDto> {
    return toDto(await this.find(standing, domain));
  }

  async claim(standing: OrgStanding, domain: string, request?: HttpRequestLike): Promise<OrganizationDomainClaimDto> {
    const organizationId = standing.organization.id;
    const claim: OrganizationDomainEntity = {
      id: randomUUID(),
      organizationId,
      domain,
      verified: false,
      verificationToken: newDomainToken(),
      verifiedBy: null,
      verifiedAt: null,
      createdAt: new Date(this.clock.now()),
    };
    try {
      await this.transactions.run(async (tx) => {
        if (!(await this.transactions.lock(tx, OrganizationEntity, organizationId))) throw fabricError('organization_not_found', 'Organization not found');
        if ((await tx.manager.countBy(OrganizationDomainEntity, { organizationId })) >= MAX_ORGANIZATION_DOMAINS) {
          throw fabricError('invalid_request', `An organization claims at most ${MAX_ORGANIZATION_DOMAINS} domains`);
        }
        await tx.manager.insert(OrganizationDomainEntity, claim);
        await this.audit.recordIn(tx, orgAudit(standing, 'organization.domain.claim', { type: 'organization_domain', id: domain }, request));
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw fabricError('already_exists', 'The organization already claims this domain');
      throw error;
    }
    return toDto(claim);
  }

  /**
   * Reads the claim's TXT record and, when one holds its token, marks the domain verified. What
   * is wrong is answered (no record, records without the token); a lookup that fails or takes
   * longer than 5 s is a 503 to retry.
   */
  async verify(standing: OrgStanding, raw: string, request?: HttpRequestLike): Promise<OrganizationDomainClaimDto> {
    const claim = await this.find(standing, raw);
    if (claim.verified) return toDto(claim);
    const { domain } = claim;
    const name = `${DOMAIN_RECORD_LABEL}.${domain}`;
    const expected = `${DOMAIN_RECORD_PREFIX}${claim.verificationToken}`;
    const lookup = await this.lookup(name);
    if (!lookup.found) throw fabricError('domain_not_verified', `No TXT record at ${name} (${lookup.reason}); publish one holding ${expected}`);
    if (!claim.verificationToken || !lookup.records.includes(expected)) {
      throw fabricError('domain_not_verified', `The TXT records at ${name} (${lookup.records.length}) do not hold ${expected}`);
    }
    return this.markVerified(standing, claim, 'dns', request);
  }

  /** A platform admin (the global `orgs:manage`) vouches for the claim without DNS: audited as such. */
  async confirm(standing: OrgStanding, domain: string, request?: HttpRequestLike): Promise<OrganizationDomainClaimDto> {
    if (!principalHasPermission(standing.actor, 'orgs:manage') || standing.actor.authMethod === 'api_key') {
      throw fabricError('permission_denied', 'Only a platform admin (orgs:manage, signed in) confirms a domain without DNS');
    }
    const claim = await this.find(standing, domain);
    if (claim.verified) return toDto(claim);
    return this.markVerified({ ...standing, asPlatformAdmin: true }, claim, 'admin', request);
  }

  async remove(standing: OrgStanding, raw: string, request?: HttpRequestLike): Promise<void> {
    const { domain } = await this.find(standing, raw);
    await this.transactions.run(async (tx) => {
      const deleted = await tx.manager.delete(OrganizationDomainEntity, { organizationId: standing.organization.id, domain });
      if (!deleted.affected) throw fabricError('domain_not_found', 'Domain not found');
      await this.audit.recordIn(tx, orgAudit(standing, 'organization.domain.delete', { type: 'organization_domain', id: domain }, request));
    });
  }

  private async markVerified(standing: OrgStanding, claim: OrganizationDomainEntity, by: 'dns' | 'admin', request?: HttpRequestLike): Promise<OrganizationDomainClaimDto> {
    const verifiedAt = new Date(this.clock.now());
    try {
      await this.transactions.run(async (tx: FabricTransaction) => {
        const updated = await tx.manager.update(OrganizationDomainEntity, { id: claim.id, verified: false }, { verified: true, verifiedBy: by, verifiedAt });
        // Deleted meanwhile (or verified by a concurrent request, which then recorded it).
        if (!updated.affected) throw fabricError('concurrent_change', 'The claim changed meanwhile; read it again');
        await this.audit.recordIn(tx, orgAudit(standing, 'organization.domain.verify', { type: 'organization_domain', id: claim.domain }, request, { method: by }));
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw fabricError('domain_taken', 'The domain is verified by another organization');
      throw error;
    }
    return toDto({ ...claim, verified: true, verifiedBy: by, verifiedAt });
  }

  /** The claim a path names, in any spelling the claim endpoint accepts (case, Unicode, trailing dot). */
  private async find(standing: OrgStanding, raw: string): Promise<OrganizationDomainEntity> {
    const domain = asciiDomain(raw);
    const claim = typeof domain === 'string' && domain.length <= 253 ? await this.domains.findOneBy({ organizationId: standing.organization.id, domain }) : null;
    if (!claim) throw fabricError('domain_not_found', 'Domain not found');
    return claim;
  }

  private async lookup(name: string): Promise<Lookup> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${DNS_TIMEOUT} ms`), { code: 'ETIMEOUT' })), DNS_TIMEOUT);
    });
    try {
      const answer = await Promise.race([this.dns.resolveTxt(name), timeout]);
      if (!Array.isArray(answer)) throw new Error('the resolver answered something other than a list of records');
      const records = answer
        .slice(0, MAX_RECORDS)
        .filter((chunks) => Array.isArray(chunks) && chunks.every((c) => typeof c === 'string'))
        .map((chunks) => chunks.join('').slice(0, MAX_RECORD_LENGTH).trim());
      return { found: true, records };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') return { found: false, reason: code === 'ENOTFOUND' ? 'the name does not exist' : 'no TXT record there' };
      this.logger.warn(`DNS lookup of ${name} failed: ${(error as Error).message}`);
      throw fabricError('service_unavailable', `The DNS lookup of ${name} failed; retry later`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}
