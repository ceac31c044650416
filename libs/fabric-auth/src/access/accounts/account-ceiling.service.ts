import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { Principal } from '../../core/principal.js';
import { RolesService } from './roles.service.js';
import { UserEntity } from '../../schema/entities/user.entity.js';
import { requireHoldsAll, requireMayManage } from '../permissions/access-rules.js';
import { fabricError } from '../../core/fabric-error.js';

/** An account a request writes to or mints a credential for. */
export interface AccountRef {
  readonly kind: 'user' | 'service_account';
  readonly id: string;
}

/**
 * The caller acting on their own account through their own session. An API key is never
 * "self", whoever made it: it acts on its owner's account only within what it carries, so
 * a key minted by someone else cannot be used as a way into the account.
 */
export function isSelf(actor: Principal, target: AccountRef): boolean {
  return actor.authMethod !== 'api_key' && actor.kind === target.kind && actor.id === target.id;
}

/**
 * The ceiling on every path to another account (SEC-79): its password, email, name, roles,
 * activity, sessions, lock, activation and keys — created, rerolled or revoked — and the
 * same for service accounts. Acting on an account needs holding every permission it holds,
 * so `users:modify` or `api_keys:create` is never a way into a richer account; only the
 * system admin touches the system admin. Every such write calls `assertMayActOn`, so a new
 * route gets the rule by calling it.
 *
 * @publicApi
 */
@Injectable()
export class AccountCeiling {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly roles: RolesService,
  ) {}

  async assertMayActOn(actor: Principal, target: AccountRef & { isSystemAdmin?: boolean }): Promise<void> {
    if (target.kind === 'user') {
      const isSystemAdmin = target.isSystemAdmin ?? (await this.users.findOne({ where: { id: target.id }, select: { id: true, isSystemAdmin: true } }))?.isSystemAdmin;
      if (isSystemAdmin === undefined) throw fabricError('user_not_found', 'User not found');
      requireMayManage(actor, { isSystemAdmin });
    }
    if (isSelf(actor, target)) return;
    const held = await this.roles.grantsOf(target.kind === 'user' ? { userId: target.id } : { serviceAccountId: target.id });
    requireHoldsAll(actor, held.permissions, 'act on an account holding more than you');
  }
}
