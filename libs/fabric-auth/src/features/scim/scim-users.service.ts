import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { UsersService } from '../../access/accounts/users.service.js';
import { OneTimeTokensService } from '../../access/tokens/one-time-tokens.service.js';
import { FabricClock } from '../../core/clock.js';
import { isUuid } from '../../core/ids.js';
import { normalizeEmail, normalizeUsername, USERNAME_RULE } from '../../core/identity-normalization.js';
import { OrganizationAccess } from '../../core/ports/organization-access.js';
import type { Principal } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { AuditService } from '../../data/audit.service.js';
import { isUniqueViolation } from '../../data/db-errors.js';
import { type FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import { ScimUserEmailEntity } from '../../schema/entities/scim-user-email.entity.js';
import { ScimUserEntity } from '../../schema/entities/scim-user.entity.js';
import { UserEntity } from '../../schema/entities/user.entity.js';
import { ScimBase } from './scim-base.js';
import { invalidFilter, ScimError } from './scim-error.js';
import { attributeKey, type Filter } from './scim-filter.js';
import { applyOperation, parsePath, readPatch } from './scim-patch.js';
import { findInRealm, likeText, type ListParameters, lockInRealm, realmOf, realmPage, type ScimRealm } from './scim-realm.js';
import { ScimRoleGrants } from './scim-role-grants.js';
import { ENTERPRISE_USER_SCHEMA, listResponse, USER_SCHEMA } from './scim-schemas.js';
import { emailKeys, MULTI_VALUED, primaryEmail, readUser, type UserInput, userResource } from './scim-user-resource.js';

/**
 * An account name from a SCIM `userName`: the name itself when it is one (`alice`), else its
 * characters outside `a-z 0-9 . _ -` as `_` (`alice@example.com` → `alice_example.com`).
 */
export function accountNameOf(userName: string): string {
  const normalized = normalizeUsername(userName);
  if (USERNAME_RULE.test(normalized)) return normalized;
  let name = normalized.replace(/[^a-z0-9_.-]/g, '_').slice(0, 150);
  if (!/^[a-z0-9]/.test(name)) name = `u${name}`.slice(0, 150);
  return name.length < 2 ? `${name}_` : name;
}

/**
 * SCIM Users of one realm (RFC 7644 §3). A resource provisions an account: the one of its
 * `userName` (or its email) when there is one, else a new one without a password (it signs in
 * through single sign-on or an activation link). Deprovisioning (`active: false`, DELETE) is, in
 * an organization, the end of the membership; single-tenant, the account's deactivation, which
 * revokes its sessions, refresh tokens and API keys (`UsersService.deactivate`). Every change is
 * one transaction with its audit event, the SCIM token as actor.
 */
@Injectable()
export class ScimUsersService {
  constructor(
    @InjectRepository(ScimUserEntity) private readonly resources: Repository<ScimUserEntity>,
    private readonly accounts: UsersService,
    private readonly oneTimeTokens: OneTimeTokensService,
    private readonly transactions: FabricTransactions,
    private readonly audit: AuditService,
    private readonly clock: FabricClock,
    private readonly base: ScimBase,
    private readonly grants: ScimRoleGrants,
    @Inject(OrganizationAccess) private readonly organizations: OrganizationAccess,
  ) {}

  async create(actor: Principal, body: unknown, request?: HttpRequestLike): Promise<Record<string, unknown>> {
    const realm = realmOf(actor);
    const input = readUser(body);
    const now = new Date(this.clock.now());
    const row = await this.unique(() =>
      this.transactions.run(async (tx) => {
        const account = await this.accountFor(tx, input);
        const resource: ScimUserEntity = {
          id: randomUUID(),
          realm: realm.key,
          organizationId: realm.organizationId,
          userId: account.id,
          ...this.columns(input),
          grantedRoles: null,
          version: 1,
          createdAt: now,
          updatedAt: now,
        };
        await tx.manager.insert(ScimUserEntity, resource);
        await this.writeEmails(tx, resource, input, false);
        await this.setActive(tx, realm, resource, input.active, true);
        await this.record(tx, actor, realm, 'scim.user.create', resource, request, { user: account.id, active: input.active });
        return resource;
      }),
    );
    return userResource(row, this.base.url());
  }

  async get(actor: Principal, id: string): Promise<Record<string, unknown>> {
    return userResource(await this.find(realmOf(actor), id), this.base.url());
  }

  async list(actor: Principal, parameters: ListParameters): Promise<object> {
    const page = await realmPage(this.resources, 'u', realmOf(actor), parameters, (filter, params) => this.sql(filter, params));
    const base = this.base.url();
    return listResponse(
      page.rows.map((row) => userResource(row, base)),
      page.total,
      page.startIndex,
    );
  }

  /** PUT (RFC 7644 §3.5.1): the resource becomes the body; Okta deprovisions with `active: false` here. */
  async replace(actor: Principal, id: string, body: unknown, request?: HttpRequestLike): Promise<Record<string, unknown>> {
    const realm = realmOf(actor);
    const input = readUser(body);
    return this.change(actor, realm, id, request, () => input);
  }

  /** PATCH (RFC 7644 §3.5.2): the operations apply to the resource as a client reads it, and the result is checked as a PUT body. */
  async patch(actor: Principal, id: string, body: unknown, request?: HttpRequestLike): Promise<Record<string, unknown>> {
    const realm = realmOf(actor);
    const operations = readPatch(body);
    return this.change(actor, realm, id, request, (current) => {
      const document = userResource(current, '');
      delete document.meta;
      delete document.schemas;
      const resolve = (path: string) => parsePath(path, [ENTERPRISE_USER_SCHEMA], USER_SCHEMA);
      for (const operation of operations) {
        const path = operation.path === undefined ? null : resolve(operation.path);
        if (path && path.extension === null && ['id', 'meta', 'schemas'].includes(path.attribute.toLowerCase())) {
          throw new ScimError('invalid_request', `${path.attribute} cannot be changed`, 'mutability');
        }
        applyOperation(document, operation, resolve, MULTI_VALUED);
      }
      if (document.id !== current.id) throw new ScimError('invalid_request', 'id cannot be changed', 'mutability');
      return readUser(document);
    });
  }

  /** DELETE: deprovisioned as by `active: false`, and the resource is gone (the account stays, for its history). */
  async remove(actor: Principal, id: string, request?: HttpRequestLike): Promise<void> {
    const realm = realmOf(actor);
    await this.transactions.run(async (tx) => {
      const current = await this.locked(tx, realm, id);
      await this.setActive(tx, realm, current, false, current.active);
      await tx.manager.delete(ScimUserEntity, { id: current.id });
      await this.record(tx, actor, realm, 'scim.user.delete', current, request, { user: current.userId });
    });
  }

  private async change(
    actor: Principal,
    realm: ScimRealm,
    id: string,
    request: HttpRequestLike | undefined,
    next: (current: ScimUserEntity) => UserInput,
  ): Promise<Record<string, unknown>> {
    const row = await this.unique(() =>
      this.transactions.run(async (tx) => {
        // Under the row's lock, so a PATCH racing a DELETE either sees the resource whole or answers 404.
        const current = await this.locked(tx, realm, id);
        const input = next(current);
        const updated: ScimUserEntity = { ...current, ...this.columns(input), version: current.version + 1, updatedAt: new Date(this.clock.now()) };
        await tx.manager.update(ScimUserEntity, { id: current.id }, this.columns(input));
        await tx.manager.update(ScimUserEntity, { id: current.id }, { version: updated.version, updatedAt: updated.updatedAt });
        if (updated.emailKeys !== current.emailKeys) await this.writeEmails(tx, updated, input, true);
        if (input.active !== current.active) await this.setActive(tx, realm, updated, input.active, current.active);
        await this.record(tx, actor, realm, 'scim.user.update', updated, request, { user: current.userId, active: input.active });
        return updated;
      }),
    );
    return userResource(row, this.base.url());
  }

  private columns(input: UserInput): Pick<ScimUserEntity, 'userName' | 'userNameKey' | 'externalId' | 'displayName' | 'emailKeys' | 'active' | 'attributes'> {
    return {
      userName: input.userName,
      userNameKey: input.userName.toLowerCase(),
      externalId: input.externalId,
      displayName: input.displayName,
      emailKeys: emailKeys(input.emails).slice(0, 2000),
      active: input.active,
      attributes: input.attributes,
    };
  }

  /** The resource's emails as rows of `scim_user_emails`, which `emails.value eq` filters look up. */
  private async writeEmails(tx: FabricTransaction, resource: ScimUserEntity, input: UserInput, replace: boolean): Promise<void> {
    if (replace) await tx.manager.delete(ScimUserEmailEntity, { scimUserId: resource.id });
    const keys = [...new Set(input.emails)];
    if (keys.length > 0)
      await tx.manager.insert(
        ScimUserEmailEntity,
        keys.map((emailKey) => ({ scimUserId: resource.id, emailKey, realm: resource.realm })),
      );
  }

  /**
   * The account a new resource provisions: the one named like its `userName`, else the one of
   * its email, else a new one (made with that email when no account holds it).
   */
  private async accountFor(tx: FabricTransaction, input: UserInput): Promise<UserEntity> {
    const username = accountNameOf(input.userName);
    const byName = await tx.manager.findOneBy(UserEntity, { username });
    if (byName) return byName;
    const email = primaryEmail(input);
    const normalized = email ? normalizeEmail(email) : null;
    const byEmail = normalized ? await tx.manager.findOneBy(UserEntity, { email: normalized }) : null;
    if (byEmail) return byEmail;
    const fullName = input.displayName ?? (input.attributes.name as { formatted?: string } | undefined)?.formatted ?? null;
    return this.accounts.create({ username, email: normalized, fullName: fullName?.slice(0, 200) ?? null }, tx);
  }

  /**
   * Provisioning or deprovisioning in the resource's transaction. In an organization: the
   * membership (the account may belong to other organizations, whose IdPs decide there). Single-tenant:
   * the account itself; deactivating revokes every session, refresh token and API key of it, refused
   * on every instance through the revocation bus (the database log within a second otherwise).
   */
  private async setActive(tx: FabricTransaction, realm: ScimRealm, resource: ScimUserEntity, active: boolean, wasActive: boolean): Promise<void> {
    if (realm.organizationId !== null) {
      if (active) {
        await this.organizations.provisionMember(tx, realm.organizationId, resource.userId);
        // Back in the organization: its groups' roles again.
        await tx.manager.update(ScimUserEntity, { id: resource.id }, { grantedRoles: [] });
        await this.grants.reconcile(tx, realm, [resource.id]);
      } else {
        await this.organizations.deprovisionMember(tx, realm.organizationId, resource.userId);
        await tx.manager.update(ScimUserEntity, { id: resource.id }, { grantedRoles: [] });
      }
      return;
    }
    if (active === wasActive) return;
    const account = await tx.manager.findOneBy(UserEntity, { id: resource.userId });
    if (!account) return;
    if (!active) {
      // The platform's administrators are not an identity provider's to lock out.
      if (account.isSystemAdmin) throw new ScimError('permission_denied', 'A system admin is not deprovisioned through SCIM', 'mutability');
      await this.accounts.deactivate(account.id, tx);
      await this.oneTimeTokens.voidAll(account.id, tx);
    } else if (!account.isActive) {
      await this.accounts.reactivate(account.id, tx);
    }
  }

  private find(realm: ScimRealm, id: string): Promise<ScimUserEntity> {
    return findInRealm(this.resources.manager, ScimUserEntity, realm, id, 'User');
  }

  private locked(tx: FabricTransaction, realm: ScimRealm, id: string): Promise<ScimUserEntity> {
    return lockInRealm(this.transactions, tx, ScimUserEntity, realm, id, 'User');
  }

  /** A second resource with the same userName or externalId in the realm (the unique keys) is 409 `uniqueness`, never a 500. */
  private async unique<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isUniqueViolation(error)) throw new ScimError('already_exists', 'A user with this userName or externalId already exists', 'uniqueness');
      if (error instanceof ScimError) throw error;
      if ((error as { code?: string }).code === 'already_exists') throw new ScimError('already_exists', 'A user with this userName already exists', 'uniqueness');
      throw error;
    }
  }

  private async record(
    tx: FabricTransaction,
    actor: Principal,
    realm: ScimRealm,
    action: string,
    resource: ScimUserEntity,
    request: HttpRequestLike | undefined,
    details: Record<string, string | boolean | null>,
  ): Promise<void> {
    await this.audit.recordIn(tx, {
      action,
      outcome: 'success',
      actor,
      target: { type: 'scim_user', id: resource.id },
      request,
      organizationId: realm.organizationId,
      details: { ...details, user_name: resource.userName },
    });
  }

  /** The filter as a `WHERE` over the realm's resources; attributes outside the supported set are `invalidFilter`. */
  private sql(filter: Filter, params: Record<string, unknown>): string {
    const param = (value: unknown) => {
      const name = `f${Object.keys(params).length}`;
      params[name] = value;
      return `:${name}`;
    };
    switch (filter.kind) {
      case 'and':
      case 'or':
        return `(${this.sql(filter.left, params)} ${filter.kind.toUpperCase()} ${this.sql(filter.right, params)})`;
      case 'not':
        return `NOT (${this.sql(filter.filter, params)})`;
      case 'valuePath': {
        if (attributeKey(filter.attribute, [USER_SCHEMA]) !== 'emails') throw invalidFilter(`unsupported value path on ${filter.attribute}`);
        const inner = filter.filter;
        if (inner.kind !== 'compare' || inner.attribute.toLowerCase() !== 'value') throw invalidFilter('emails[…] filters only on value');
        return this.sql({ ...inner, attribute: 'emails.value' }, params);
      }
      case 'present': {
        const key = attributeKey(filter.attribute, [USER_SCHEMA]);
        if (key === 'emails' || key === 'emails.value') return "u.emailKeys <> ''";
        const column = { username: 'u.userName', externalid: 'u.externalId', displayname: 'u.displayName', id: 'u.id' }[key];
        if (!column) throw invalidFilter(`unsupported attribute ${filter.attribute}`);
        return `${column} IS NOT NULL`;
      }
      case 'compare': {
        const key = attributeKey(filter.attribute, [USER_SCHEMA]);
        const { op, value } = filter;
        if (key === 'active') {
          if (op !== 'eq' || typeof value !== 'boolean') throw invalidFilter('active compares with eq true or false only');
          return `u.active = ${param(value)}`;
        }
        if (key === 'id') {
          if (op !== 'eq' || typeof value !== 'string') throw invalidFilter('id compares with eq only');
          return isUuid(value) ? `u.id = ${param(value)}` : '1 = 0';
        }
        if (typeof value !== 'string') throw invalidFilter(`${filter.attribute} compares with a string`);
        if (key === 'emails' || key === 'emails.value') {
          if (op === 'eq') {
            const owners = this.resources.manager
              .createQueryBuilder(ScimUserEmailEntity, 'e')
              .select('e.scimUserId')
              .where(`e.realm = :realm AND e.emailKey = ${param(value.toLowerCase())}`);
            return `u.id IN (${owners.getQuery()})`;
          }
          const v = likeText(value.toLowerCase());
          const pattern = { co: `%${v}%`, sw: `%\n${v}%`, ew: `%${v}\n%` }[op as 'co' | 'sw' | 'ew'];
          if (pattern === undefined) throw invalidFilter(`operator ${op} is not supported on emails.value`);
          return `u.emailKeys LIKE ${param(pattern)} ESCAPE '\\'`;
        }
        // userName and displayName compare case-insensitively (RFC 7643: caseExact false); externalId exactly.
        const columns: Record<string, { column: string; exact: boolean }> = {
          username: { column: 'u.userNameKey', exact: false },
          displayname: { column: 'LOWER(u.displayName)', exact: false },
          externalid: { column: 'u.externalId', exact: true },
        };
        const target = columns[key];
        if (!target) throw invalidFilter(`unsupported attribute ${filter.attribute}`);
        const v = target.exact ? value : value.toLowerCase();
        switch (op) {
          case 'eq':
            return `${target.column} = ${param(v)}`;
          case 'ne':
            return `(${target.column} IS NULL OR ${target.column} <> ${param(v)})`;
          case 'co':
            return `${target.column} LIKE ${param(`%${likeText(v)}%`)} ESCAPE '\\'`;
          case 'sw':
            return `${target.column} LIKE ${param(`${likeText(v)}%`)} ESCAPE '\\'`;
          case 'ew':
            return `${target.column} LIKE ${param(`%${likeText(v)}`)} ESCAPE '\\'`;
          default:
            throw invalidFilter(`operator ${op} is not supported on ${filter.attribute}`);
        }
      }
    }
  }
}
