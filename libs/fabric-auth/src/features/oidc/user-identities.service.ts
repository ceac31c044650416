import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, type Repository } from 'typeorm';
import { AuditService } from '../../data/audit.service.js';
import { requireInteractive } from '../../access/permissions/access-rules.js';
import { ListPager } from '../../data/pagination/list-pager.js';
import type { ListEnvelope, ListQueryDto } from '../../data/pagination/list-query.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import type { Principal } from '../../core/principal.js';
import { UserLookup } from '../../access/accounts/user-lookup.js';
import { UserEntity } from '../../schema/entities/user.entity.js';
import type { IdentityDto } from './dto/identity.dto.js';
import { UserIdentityEntity } from '../../schema/entities/user-identity.entity.js';
import { isUuid } from '../../core/ids.js';
import { fabricError } from '../../core/fabric-error.js';

function toIdentityDto(identity: UserIdentityEntity): IdentityDto {
  return {
    id: identity.id,
    provider: identity.provider,
    issuer: identity.issuer,
    subject: identity.subject,
    email: identity.email,
    created_at: identity.createdAt.toISOString(),
    last_login_at: identity.lastLoginAt?.toISOString() ?? null,
  };
}

/** The identities at OpenID Providers linked to a user: seen by the user and user readers, removed under the account ceiling. */
@Injectable()
export class UserIdentitiesService {
  constructor(
    @InjectRepository(UserIdentityEntity) private readonly identities: Repository<UserIdentityEntity>,
    private readonly dataSource: DataSource,
    private readonly users: UserLookup,
    private readonly audit: AuditService,
    private readonly pager: ListPager,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
  ) {}

  async list(actor: Principal, username: string, query: ListQueryDto): Promise<ListEnvelope<IdentityDto>> {
    const target = await this.users.target(username, actor, 'users:read');
    const base = this.identities.createQueryBuilder('i').where('i.userId = :userId', { userId: target.id });
    return this.pager.page(base, { list: 'identities', sortName: 'created_at', sort: { property: 'createdAt', descending: false }, filters: { user: target.id }, query }, (rows) =>
      rows.map(toIdentityDto),
    );
  }

  /**
   * Unlinks one identity (self, or users:modify holding all the account holds). Refused
   * when the account would be left with no way in: no password and no other identity at a
   * provider still configured. The account's row is locked meanwhile, so two parallel
   * unlinks cannot each leave the other as the last way in.
   */
  async unlink(actor: Principal, username: string, identityId: string, request: HttpRequestLike): Promise<void> {
    const target = await this.users.target(username, actor, 'users:modify');
    await this.users.requireMayAdminister(actor, target);
    // Checked after the permission, so a malformed id tells an outsider nothing more than a 403.
    if (!isUuid(identityId)) throw fabricError('identity_not_found', 'Identity not found');
    requireInteractive(actor, 'unlink an identity', 'users:modify');
    const removed = await this.dataSource.transaction(async (tx) => {
      const lock = tx.connection.options.type === 'postgres' ? { lock: { mode: 'pessimistic_write' as const } } : {};
      const owner = await tx.findOne(UserEntity, { where: { id: target.id }, select: { id: true, passwordHash: true }, ...lock });
      const linked = await tx.find(UserIdentityEntity, { where: { userId: target.id } });
      const identity = linked.find((i) => i.id === identityId);
      if (!owner || !identity) throw fabricError('identity_not_found', 'Identity not found');
      const otherWaysIn = linked.filter((i) => i.id !== identity.id && this.isUsable(i)).length;
      if (owner.passwordHash === null && otherWaysIn === 0) {
        throw fabricError('account_state_conflict', 'This identity is the only way into the account; set a password or link another identity first');
      }
      await tx.delete(UserIdentityEntity, { id: identity.id });
      return identity;
    });
    await this.audit.record({
      action: 'oidc.identity.unlink',
      outcome: 'success',
      actor,
      target: { type: 'user', id: target.id },
      request,
      details: { provider: removed.provider, identity: removed.id },
    });
  }

  /** An identity someone can still sign in with: its provider is configured, for the same issuer (a SAML IdP's is in its metadata, read at login). */
  private isUsable(identity: UserIdentityEntity): boolean {
    const provider = Object.hasOwn(this.options.providers, identity.provider) ? this.options.providers[identity.provider] : undefined;
    if (provider?.type === 'saml') return true;
    return provider !== undefined && URL.canParse(identity.issuer) && new URL(provider.issuer).href === new URL(identity.issuer).href;
  }
}
