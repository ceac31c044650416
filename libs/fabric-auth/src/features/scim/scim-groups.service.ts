import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { FabricClock } from '../../core/clock.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import { isUuid } from '../../core/ids.js';
import type { Principal } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { AuditService } from '../../data/audit.service.js';
import { isUniqueViolation } from '../../data/db-errors.js';
import { type FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import { isPlainObject } from '../../options/option-field.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { ScimGroupMemberEntity } from '../../schema/entities/scim-group-member.entity.js';
import { ScimGroupEntity } from '../../schema/entities/scim-group.entity.js';
import { ScimUserEntity } from '../../schema/entities/scim-user.entity.js';
import { ScimBase } from './scim-base.js';
import { invalidFilter, invalidValue, ScimError } from './scim-error.js';
import { attributeKey, type Filter, matchesElement } from './scim-filter.js';
import { parsePath, readPatch } from './scim-patch.js';
import { findInRealm, likeText, type ListParameters, lockInRealm, realmOf, realmPage, type ScimRealm } from './scim-realm.js';
import { ScimRoleGrants } from './scim-role-grants.js';
import { GROUP_SCHEMA, listResponse } from './scim-schemas.js';
import { read } from './scim-user-resource.js';

/** Member values one request may name at most (Entra sends chunks of far fewer). */
const MAX_MEMBER_VALUES = 1_000;

interface GroupInput {
  displayName: string;
  externalId: string | null;
  members: string[] | null;
}

function memberIds(value: unknown, at: string): string[] {
  const list = value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
  if (list.length > MAX_MEMBER_VALUES) throw new ScimError('invalid_request', `at most ${MAX_MEMBER_VALUES} members in one request`, 'tooMany');
  return list.map((member, i) => {
    const id = isPlainObject(member) ? read(member, 'value') : member;
    if (typeof id !== 'string' || id === '') throw invalidValue(`${at}[${i}].value must be a member id`);
    return id;
  });
}

function readGroup(body: unknown): GroupInput {
  if (!isPlainObject(body)) throw new ScimError('invalid_request', 'The body must be a JSON object', 'invalidSyntax');
  const displayName = read(body, 'displayName');
  if (typeof displayName !== 'string' || displayName.trim() === '' || displayName.length > 256) throw invalidValue('displayName is required (at most 256 characters)');
  const externalId = read(body, 'externalId');
  if (externalId !== undefined && externalId !== null && (typeof externalId !== 'string' || externalId.length > 256)) throw invalidValue('externalId must be a string');
  const members = read(body, 'members');
  return { displayName, externalId: externalId ?? null, members: members === undefined ? null : memberIds(members, 'members') };
}

/**
 * SCIM Groups of one realm. A group grants its members roles only through
 * `auth.scim.role_mapping`: the roles mapped to its display name when it is created are kept on
 * it (`mapped_roles`), so renaming it keeps them, and a group created under an unmapped name grants
 * nothing (a later change of the mapping applies to groups created afterwards).
 */
@Injectable()
export class ScimGroupsService {
  constructor(
    @InjectRepository(ScimGroupEntity) private readonly groups: Repository<ScimGroupEntity>,
    private readonly transactions: FabricTransactions,
    private readonly audit: AuditService,
    private readonly clock: FabricClock,
    private readonly base: ScimBase,
    private readonly grants: ScimRoleGrants,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
  ) {}

  private mappedRoles(displayName: string): string[] {
    const mapping = this.options.scim.roleMapping;
    const exact = mapping[displayName];
    if (exact) return [...exact];
    const key = Object.keys(mapping).find((k) => k.toLowerCase() === displayName.toLowerCase());
    return key ? [...mapping[key]] : [];
  }

  async create(actor: Principal, body: unknown, request?: HttpRequestLike): Promise<Record<string, unknown>> {
    const realm = realmOf(actor);
    const input = readGroup(body);
    const now = new Date(this.clock.now());
    const group = await this.unique(() =>
      this.transactions.run(async (tx) => {
        const row: ScimGroupEntity = {
          id: randomUUID(),
          realm: realm.key,
          organizationId: realm.organizationId,
          displayName: input.displayName,
          displayNameKey: input.displayName.toLowerCase(),
          externalId: input.externalId,
          mappedRoles: this.mappedRoles(input.displayName),
          version: 1,
          createdAt: now,
          updatedAt: now,
        };
        await tx.manager.insert(ScimGroupEntity, row);
        await this.changeMembers(tx, realm, row, input.members ?? [], []);
        await this.record(tx, actor, realm, 'scim.group.create', row, request, { roles: row.mappedRoles.join(',') });
        return row;
      }),
    );
    return this.resource(group);
  }

  async get(actor: Principal, id: string, excluded?: string): Promise<Record<string, unknown>> {
    return this.resource(await this.find(realmOf(actor), id), excludesMembers(excluded));
  }

  async list(actor: Principal, parameters: ListParameters & { excludedAttributes?: string }): Promise<object> {
    const page = await realmPage(this.groups, 'g', realmOf(actor), parameters, (filter, params) => this.sql(filter, params));
    const members = excludesMembers(parameters.excludedAttributes) ? null : await this.membersOf(page.rows.map((row) => row.id));
    return listResponse(
      page.rows.map((row) => this.resourceOf(row, members?.get(row.id) ?? (members ? [] : undefined))),
      page.total,
      page.startIndex,
    );
  }

  async replace(actor: Principal, id: string, body: unknown, request?: HttpRequestLike): Promise<Record<string, unknown>> {
    const realm = realmOf(actor);
    const input = readGroup(body);
    const row = await this.unique(() =>
      this.transactions.run(async (tx) => {
        const current = await this.locked(tx, realm, id);
        const updated = {
          ...current,
          displayName: input.displayName,
          displayNameKey: input.displayName.toLowerCase(),
          externalId: input.externalId,
          version: current.version + 1,
          updatedAt: new Date(this.clock.now()),
        };
        await tx.manager.update(
          ScimGroupEntity,
          { id },
          { displayName: updated.displayName, displayNameKey: updated.displayNameKey, externalId: updated.externalId, version: updated.version, updatedAt: updated.updatedAt },
        );
        if (input.members !== null) {
          const now = new Set(await this.memberIdsOf(tx, id));
          const wanted = new Set(input.members);
          await this.changeMembers(
            tx,
            realm,
            updated,
            input.members.filter((m) => !now.has(m)),
            [...now].filter((m) => !wanted.has(m)),
          );
        }
        await this.record(tx, actor, realm, 'scim.group.update', updated, request, {});
        return updated;
      }),
    );
    return this.resource(row);
  }

  /** PATCH as Entra sends membership: `members` add/remove in chunks, `members[value eq "…"]` remove, `displayName` replace. */
  async patch(actor: Principal, id: string, body: unknown, request?: HttpRequestLike): Promise<Record<string, unknown>> {
    const realm = realmOf(actor);
    const operations = readPatch(body);
    const row = await this.unique(() =>
      this.transactions.run(async (tx) => {
        const current = await this.locked(tx, realm, id);
        let { displayName, externalId } = current;
        let members = await this.memberIdsOf(tx, id);
        const before = [...members];
        const setAttribute = (name: string, value: unknown) => {
          const key = attributeKey(name, [GROUP_SCHEMA]);
          if (key === 'displayname') {
            if (typeof value !== 'string' || value.trim() === '' || value.length > 256) throw invalidValue('displayName must be a non-empty string');
            displayName = value;
          } else if (key === 'externalid') {
            if (value !== null && typeof value !== 'string') throw invalidValue('externalId must be a string');
            externalId = value ?? null;
          } else if (key === 'members') {
            members = memberIds(value, 'members');
          } else if (key === 'id') throw new ScimError('invalid_request', 'id cannot be changed', 'mutability');
          else throw new ScimError('invalid_request', `unsupported attribute ${name}`, 'invalidPath');
        };
        for (const operation of operations) {
          if (operation.path === undefined) {
            if (operation.op === 'remove' || !isPlainObject(operation.value))
              throw new ScimError('invalid_request', 'an operation without a path takes an object value', 'noTarget');
            for (const [key, value] of Object.entries(operation.value)) {
              if (attributeKey(key, [GROUP_SCHEMA]) === 'members' && operation.op === 'add') members = [...members, ...memberIds(value, 'members')];
              else setAttribute(key, value);
            }
            continue;
          }
          const path = parsePath(operation.path, [], GROUP_SCHEMA);
          if (path.attribute.toLowerCase() === 'members') {
            if (path.filter !== null) {
              if (operation.op !== 'remove') throw new ScimError('invalid_request', 'members[…] supports remove only', 'invalidPath');
              members = members.filter((m) => !matchesElement({ value: m }, path.filter as Filter));
            } else if (operation.op === 'add') members = [...members, ...memberIds(operation.value, 'members')];
            else if (operation.op === 'remove') {
              const removed = operation.value === undefined || operation.value === null ? members : memberIds(operation.value, 'members');
              const gone = new Set(removed);
              members = members.filter((m) => !gone.has(m));
            } else members = memberIds(operation.value, 'members');
            continue;
          }
          if (operation.op === 'remove') {
            if (path.attribute.toLowerCase() === 'externalid') externalId = null;
            else throw new ScimError('invalid_request', `${path.attribute} cannot be removed`, 'mutability');
          } else setAttribute(path.attribute, operation.value);
        }
        members = [...new Set(members)];
        const displayNameKey = displayName.toLowerCase();
        const updated = { ...current, displayName, displayNameKey, externalId, version: current.version + 1, updatedAt: new Date(this.clock.now()) };
        await tx.manager.update(ScimGroupEntity, { id }, { displayName, displayNameKey, externalId, version: updated.version, updatedAt: updated.updatedAt });
        // Sets: a group of 50,000 members takes its chunks without a quadratic diff.
        const had = new Set(before);
        const has = new Set(members);
        const added = members.filter((m) => !had.has(m));
        const removed = before.filter((m) => !has.has(m));
        await this.changeMembers(tx, realm, updated, added, removed);
        await this.record(tx, actor, realm, 'scim.group.update', updated, request, { added: added.length, removed: removed.length } as never);
        return updated;
      }),
    );
    return this.resource(row);
  }

  async remove(actor: Principal, id: string, request?: HttpRequestLike): Promise<void> {
    const realm = realmOf(actor);
    await this.transactions.run(async (tx) => {
      const current = await this.locked(tx, realm, id);
      const members = await this.memberIdsOf(tx, id);
      await tx.manager.delete(ScimGroupEntity, { id });
      if (current.mappedRoles.length > 0) await this.grants.reconcile(tx, realm, members);
      await this.record(tx, actor, realm, 'scim.group.delete', current, request, {});
    });
  }

  /** Members must be users of the same realm (a 400 otherwise, nothing written); their roles follow. */
  private async changeMembers(tx: FabricTransaction, realm: ScimRealm, group: ScimGroupEntity, added: string[], removed: string[]): Promise<void> {
    const unique = [...new Set(added)];
    if (unique.length > 0) {
      const known = unique.every(isUuid) ? await tx.manager.find(ScimUserEntity, { where: { id: In(unique), realm: realm.key }, select: { id: true } }) : [];
      const found = new Set(known.map((k) => k.id));
      const missing = unique.filter((m) => !found.has(m));
      if (missing.length > 0) throw invalidValue(`unknown members: ${missing.slice(0, 5).join(', ')}`);
      await tx.manager.insert(
        ScimGroupMemberEntity,
        unique.map((scimUserId) => ({ groupId: group.id, scimUserId })),
      );
    }
    if (removed.length > 0) await tx.manager.delete(ScimGroupMemberEntity, { groupId: group.id, scimUserId: In(removed) });
    // A group that grants nothing changes no member's roles (they are the union of their groups').
    if (group.mappedRoles.length > 0) await this.grants.reconcile(tx, realm, [...unique, ...removed]);
  }

  private async memberIdsOf(tx: FabricTransaction | undefined, groupId: string): Promise<string[]> {
    const manager = tx?.manager ?? this.groups.manager;
    return (await manager.find(ScimGroupMemberEntity, { where: { groupId }, select: { scimUserId: true } })).map((m) => m.scimUserId);
  }

  private async resource(row: ScimGroupEntity, withoutMembers = false): Promise<Record<string, unknown>> {
    return this.resourceOf(row, withoutMembers ? undefined : ((await this.membersOf([row.id])).get(row.id) ?? []));
  }

  /** The members of the groups named, by group, in one query (a page of groups reads them at once). */
  private async membersOf(groupIds: string[]): Promise<Map<string, Array<{ id: string; user_name: string }>>> {
    const byGroup = new Map<string, Array<{ id: string; user_name: string }>>();
    if (groupIds.length === 0) return byGroup;
    const rows = await this.groups.manager
      .createQueryBuilder(ScimGroupMemberEntity, 'm')
      .innerJoin(ScimUserEntity, 'u', 'u.id = m.scimUserId')
      .where('m.groupId IN (:...ids)', { ids: groupIds })
      .select(['m.groupId AS group_id', 'm.scimUserId AS id', 'u.userName AS user_name'])
      .orderBy('u.userName', 'ASC')
      .getRawMany<{ group_id: string; id: string; user_name: string }>();
    for (const { group_id, id, user_name } of rows) {
      const list = byGroup.get(group_id) ?? [];
      list.push({ id, user_name });
      byGroup.set(group_id, list);
    }
    return byGroup;
  }

  private resourceOf(row: ScimGroupEntity, members: Array<{ id: string; user_name: string }> | undefined): Record<string, unknown> {
    const base = this.base.url();
    return {
      schemas: [GROUP_SCHEMA],
      id: row.id,
      ...(row.externalId !== null && { externalId: row.externalId }),
      displayName: row.displayName,
      ...(members && { members: members.map((m) => ({ value: m.id, display: m.user_name, $ref: `${base}/Users/${m.id}` })) }),
      meta: {
        resourceType: 'Group',
        created: row.createdAt.toISOString(),
        lastModified: row.updatedAt.toISOString(),
        location: `${base}/Groups/${row.id}`,
        version: `W/"${row.version}"`,
      },
    };
  }

  private find(realm: ScimRealm, id: string): Promise<ScimGroupEntity> {
    return findInRealm(this.groups.manager, ScimGroupEntity, realm, id, 'Group');
  }

  private locked(tx: FabricTransaction, realm: ScimRealm, id: string): Promise<ScimGroupEntity> {
    return lockInRealm(this.transactions, tx, ScimGroupEntity, realm, id, 'Group');
  }

  private async unique<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isUniqueViolation(error)) throw new ScimError('already_exists', 'A group with this externalId already exists', 'uniqueness');
      throw error;
    }
  }

  private async record(
    tx: FabricTransaction,
    actor: Principal,
    realm: ScimRealm,
    action: string,
    group: ScimGroupEntity,
    request: HttpRequestLike | undefined,
    details: Record<string, string>,
  ): Promise<void> {
    await this.audit.recordIn(tx, {
      action,
      outcome: 'success',
      actor,
      target: { type: 'scim_group', id: group.id },
      request,
      organizationId: realm.organizationId,
      details: { ...details, display_name: group.displayName },
    });
  }

  private sql(filter: Filter, params: Record<string, unknown>): string {
    const param = (value: unknown) => {
      const name = `g${Object.keys(params).length}`;
      params[name] = value;
      return `:${name}`;
    };
    if (filter.kind === 'and' || filter.kind === 'or') return `(${this.sql(filter.left, params)} ${filter.kind.toUpperCase()} ${this.sql(filter.right, params)})`;
    if (filter.kind === 'not') return `NOT (${this.sql(filter.filter, params)})`;
    if (filter.kind !== 'compare' || typeof filter.value !== 'string') throw invalidFilter('groups filter on displayName, externalId or id with a string');
    const key = attributeKey(filter.attribute, [GROUP_SCHEMA]);
    const value = filter.value;
    if (key === 'id') return isUuid(value) && filter.op === 'eq' ? `g.id = ${param(value)}` : '1 = 0';
    const column = key === 'displayname' ? 'g.displayNameKey' : key === 'externalid' ? 'g.externalId' : null;
    if (!column) throw invalidFilter(`unsupported attribute ${filter.attribute}`);
    const v = key === 'displayname' ? value.toLowerCase() : value;
    const escaped = likeText(v);
    switch (filter.op) {
      case 'eq':
        return `${column} = ${param(v)}`;
      case 'co':
        return `${column} LIKE ${param(`%${escaped}%`)} ESCAPE '\\'`;
      case 'sw':
        return `${column} LIKE ${param(`${escaped}%`)} ESCAPE '\\'`;
      default:
        throw invalidFilter(`operator ${filter.op} is not supported on groups`);
    }
  }
}

function excludesMembers(excluded: string | undefined): boolean {
  return (excluded ?? '')
    .split(',')
    .map((a) => a.trim().toLowerCase())
    .includes('members');
}
