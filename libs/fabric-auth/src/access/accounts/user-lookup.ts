import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { normalizeUsername } from '../../core/identity-normalization.js';
import { type Principal, principalHasPermission } from '../../core/principal.js';
import { UserEntity } from '../../schema/entities/user.entity.js';
import { readRows } from '../../data/pagination/keyset.js';
import { AccountCeiling } from './account-ceiling.service.js';
import { fabricError } from '../../core/fabric-error.js';

/**
 * The user a `/users/:username/…` route names, for every feature with such routes (users,
 * API keys, MFA, identities): found once here, with the same 403-before-404 order and the
 * same account ceiling on writes.
 */
@Injectable()
export class UserLookup {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly ceiling: AccountCeiling,
  ) {}

  /** The user named in the path, 404 when unknown; with `permission`, self or that permission (403 first). */
  async target(username: string, actor?: Principal, permission?: string): Promise<UserEntity> {
    const normalized = normalizeUsername(username);
    if (actor && permission && !namesSelf(actor, normalized) && !principalHasPermission(actor, permission)) {
      throw fabricError('permission_denied', `Missing permission: ${permission}`);
    }
    const user = normalized.length <= 150 ? await this.byUsername(normalized) : null;
    if (!user) throw fabricError('user_not_found', 'User not found');
    return user;
  }

  /**
   * The id of the user named in the path, as `target` finds it, without a read when the caller
   * names itself (a user's own unscoped principal: its id is the account's, its account active):
   * a user's own lists cost one statement, not two.
   */
  async targetId(username: string, actor?: Principal, permission?: string): Promise<string> {
    if (actor && namesSelf(actor, normalizeUsername(username))) return actor.id;
    return (await this.target(username, actor, permission)).id;
  }

  /**
   * Every `/users/:username/…` request reads its user first: one statement per shape, sent by
   * name and mapped straight to the entity (readRows), not a `findOneBy` that builds, renders
   * and hydrates its query anew each time.
   */
  private async byUsername(username: string): Promise<UserEntity | null> {
    const { entities } = await readRows(this.users.createQueryBuilder('u').where('u.username = :username', { username }));
    return entities[0] ?? null;
  }

  /** The account ceiling (`AccountCeiling`) on a user named in the path. */
  requireMayAdminister(actor: Principal, target: UserEntity): Promise<void> {
    return this.ceiling.assertMayActOn(actor, { kind: 'user', id: target.id, isSystemAdmin: target.isSystemAdmin });
  }
}

/**
 * The caller names its own account: a user's unscoped principal. A scoped key is held to its
 * scopes even on its owner's own account; writes on it also pass the ceiling
 * (`requireMayAdminister`), where no key counts as self.
 */
function namesSelf(actor: Principal, normalizedUsername: string): boolean {
  return actor.kind === 'user' && actor.username === normalizedUsername && actor.scopes === null;
}
