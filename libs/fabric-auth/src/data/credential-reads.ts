import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { DataSource, EntityTarget, ObjectLiteral, Repository } from 'typeorm';
import { readStatement } from './named-statements.js';
import { ApiKeyEntity } from '../schema/entities/api-key.entity.js';
import { quotedTableName } from '../schema/table-name.js';
import { RoleAssignmentEntity } from '../schema/entities/role-assignment.entity.js';
import { RoleEntity } from '../schema/entities/role.entity.js';
import { ServiceAccountEntity } from '../schema/entities/service-account.entity.js';
import { SessionEntity } from '../schema/entities/session.entity.js';
import { UserEntity } from '../schema/entities/user.entity.js';

/** What a cold Bearer/cookie credential needs: the session, its user and the user's roles. */
export interface SessionGrantRecord {
  sessionId: string;
  loginMethod: string;
  amr: string | null;
  restriction: string | null;
  revokedAt: Date | null;
  absoluteExpiresAt: Date;
  userId: string;
  username: string;
  email: string | null;
  isActive: boolean;
  isSystemAdmin: boolean;
  roles: string[];
  permissions: Set<string>;
}

/** What a cold API key needs: the key, its owner (user or service account) and the owner's roles. */
export interface ApiKeyGrantRecord {
  keyId: string;
  /** The key matched on its current secret (false: on the previous one, within a reroll's grace). */
  current: boolean;
  scopes: string[] | null;
  scopesPinned: boolean;
  expiresAt: Date | null;
  revokedAt: Date | null;
  previousKeyExpiresAt: Date | null;
  owner:
    | { kind: 'user'; id: string; username: string; email: string | null; isActive: boolean; isSystemAdmin: boolean }
    /** `organizationId`: the organization that owns the account, which it acts in only. */
    | { kind: 'service_account'; id: string; name: string; isActive: boolean; organizationId: string | null }
    /** A SCIM token: no owner; its organization (null: the platform's). */
    | { kind: 'scim'; name: string; organizationId: string | null }
    | null;
  roles: string[];
  permissions: Set<string>;
}

type Row = Record<string, unknown>;

/** Hashes looked up in one statement at most (the batch waits for no one: see `apiKey`). */
const MAX_KEY_BATCH = 64;

interface KeyLookup {
  hash: string;
  now: Date;
  resolve(record: ApiKeyGrantRecord | null): void;
  reject(error: unknown): void;
}

/**
 * The cache-miss reads of the guard's hot path, each ONE indexed query (key or session by
 * its unique key, joined to the owner and the owner's roles) answered as plain rows: no
 * chain of TypeORM `findOne`s and no entity hydration, which cost several times the query
 * itself. On PostgreSQL they run as named prepared statements (named-statements.ts).
 * Table names come from the entity metadata, so they follow any naming the app configured.
 */
@Injectable()
export class CredentialReads {
  private readonly dataSource: DataSource;
  private readonly postgres: boolean;
  private readonly sessionSql: string;
  private readonly apiKeySql: string;
  private readonly apiKeyBatchSql: string;
  /** Cold keys asked for during this turn of the event loop, read together at its end. */
  private batch: KeyLookup[] | undefined;

  constructor(@InjectRepository(SessionEntity) sessions: Repository<SessionEntity>) {
    this.dataSource = sessions.manager.connection;
    this.postgres = this.dataSource.driver.options.type === 'postgres';
    const t = (entity: EntityTarget<ObjectLiteral>) => quotedTableName(this.dataSource, entity);
    const p = (n: number) => (this.postgres ? `$${n}` : '?');
    const roleColumns = 'r.name AS role_name, r.permissions AS role_permissions';
    this.sessionSql =
      `SELECT s.id AS session_id, s.login_method, s.amr, s.restriction, s.revoked_at, s.absolute_expires_at, u.id AS user_id, u.username, u.email, u.is_active, u.is_system_admin, ${roleColumns} ` +
      `FROM ${t(SessionEntity)} s JOIN ${t(UserEntity)} u ON u.id = s.user_id ` +
      `LEFT JOIN ${t(RoleAssignmentEntity)} ra ON ra.user_id = u.id LEFT JOIN ${t(RoleEntity)} r ON r.id = ra.role_id ` +
      `WHERE s.id = ${p(1)}`;
    const keyColumns =
      `SELECT k.id AS key_id, k.name AS key_name, k.scim, k.organization_id AS scim_org, k.key_hash, k.previous_key_hash, k.scopes, k.scopes_pinned, k.expires_at, k.revoked_at, k.previous_key_expires_at, ` +
      `u.id AS user_id, u.username, u.email, u.is_active AS user_active, u.is_system_admin, ` +
      `sa.id AS service_account_id, sa.name AS service_account_name, sa.is_active AS service_account_active, sa.organization_id AS service_account_org, ${roleColumns} ` +
      `FROM ${t(ApiKeyEntity)} k ` +
      `LEFT JOIN ${t(UserEntity)} u ON u.id = k.user_id ` +
      `LEFT JOIN ${t(ServiceAccountEntity)} sa ON sa.id = k.service_account_id ` +
      `LEFT JOIN ${t(RoleAssignmentEntity)} ra ON ra.user_id = k.user_id OR ra.service_account_id = k.service_account_id ` +
      `LEFT JOIN ${t(RoleEntity)} r ON r.id = ra.role_id `;
    this.apiKeySql = `${keyColumns}WHERE k.key_hash = ${p(1)} OR (k.previous_key_hash = ${p(2)} AND k.previous_key_expires_at > ${p(3)})`;
    this.apiKeyBatchSql = `${keyColumns}WHERE k.key_hash = ANY($1::text[]) OR (k.previous_key_hash = ANY($1::text[]) AND k.previous_key_expires_at > $2)`;
  }

  async session(sessionId: string): Promise<SessionGrantRecord | null> {
    const rows = await this.run(this.sessionSql, [sessionId]);
    if (rows.length === 0) return null;
    const first = rows[0];
    return {
      sessionId: String(first.session_id),
      loginMethod: String(first.login_method),
      amr: (first.amr as string | null) ?? null,
      restriction: (first.restriction as string | null) ?? null,
      revokedAt: this.date(first.revoked_at),
      absoluteExpiresAt: this.date(first.absolute_expires_at)!,
      userId: String(first.user_id),
      username: String(first.username),
      email: (first.email as string | null) ?? null,
      isActive: Boolean(first.is_active),
      isSystemAdmin: Boolean(first.is_system_admin),
      ...grantOf(rows),
    };
  }

  /**
   * The key whose current secret hashes to `hash`, else the one whose previous secret does and
   * is still in its grace. On PostgreSQL, the cold keys of one turn of the event loop (under
   * load, the requests one poll of the sockets delivered) are read in ONE statement: the round
   * trip to the database — a socket write and a wake-up of its backend, on the same cores —
   * was the largest cost of a cold key, and a batch shares it. Alone, a key waits only for the
   * end of the current turn (setImmediate).
   */
  apiKey(hash: string, now: Date): Promise<ApiKeyGrantRecord | null> {
    if (!this.postgres) return this.run(this.apiKeySql, [hash, hash, this.sqliteDate(now)]).then((rows) => this.keyRecord(rows, hash, now));
    return new Promise((resolve, reject) => {
      if (!this.batch) {
        this.batch = [];
        setImmediate(() => this.readBatch());
      }
      this.batch.push({ hash, now, resolve, reject });
    });
  }

  private readBatch(): void {
    const lookups = this.batch ?? [];
    this.batch = undefined;
    for (let i = 0; i < lookups.length; i += MAX_KEY_BATCH) {
      const part = lookups.slice(i, i + MAX_KEY_BATCH);
      const hashes = [...new Set(part.map((l) => l.hash))];
      // The earliest `now` of the batch reads a superset of the grace matches; each lookup then
      // keeps those still in grace at its own `now` (keyRecord).
      const earliest = new Date(Math.min(...part.map((l) => l.now.getTime())));
      this.run(this.apiKeyBatchSql, [hashes, earliest]).then(
        (rows) => {
          for (const lookup of part) {
            try {
              lookup.resolve(this.keyRecord(rows, lookup.hash, lookup.now));
            } catch (error) {
              lookup.reject(error);
            }
          }
        },
        (error: unknown) => part.forEach((lookup) => lookup.reject(error)),
      );
    }
  }

  /** The record for `hash` among rows read for one or more hashes (one row per role of each key). */
  private keyRecord(all: Row[], hash: string, now: Date): ApiKeyGrantRecord | null {
    const current = all.filter((r) => r.key_hash === hash);
    const previous = current.length > 0 ? [] : all.filter((r) => r.previous_key_hash === hash && (this.date(r.previous_key_expires_at)?.getTime() ?? 0) > now.getTime());
    const rows = current.length > 0 ? current : previous.filter((r) => r.key_id === previous[0]?.key_id);
    if (rows.length === 0) return null;
    const first = rows[0];
    const owner: ApiKeyGrantRecord['owner'] =
      first.scim === true || first.scim === 1
        ? { kind: 'scim', name: String(first.key_name), organizationId: first.scim_org == null ? null : String(first.scim_org) }
        : first.user_id != null
          ? {
              kind: 'user',
              id: String(first.user_id),
              username: String(first.username),
              email: (first.email as string | null) ?? null,
              isActive: Boolean(first.user_active),
              isSystemAdmin: Boolean(first.is_system_admin),
            }
          : first.service_account_id != null
            ? {
                kind: 'service_account',
                id: String(first.service_account_id),
                name: String(first.service_account_name),
                isActive: Boolean(first.service_account_active),
                organizationId: first.service_account_org == null ? null : String(first.service_account_org),
              }
            : null;
    return {
      keyId: String(first.key_id),
      current: current.length > 0,
      scopes: first.scopes == null ? null : (JSON.parse(String(first.scopes)) as string[]),
      scopesPinned: Boolean(first.scopes_pinned),
      expiresAt: this.date(first.expires_at),
      revokedAt: this.date(first.revoked_at),
      previousKeyExpiresAt: this.date(first.previous_key_expires_at),
      owner,
      ...grantOf(rows),
    };
  }

  private run(text: string, values: unknown[]): Promise<Row[]> {
    return readStatement(this.dataSource, text, values, 'fixed');
  }

  /** PostgreSQL hands back `Date`s as TypeORM wrote them; SQLite keeps TypeORM's UTC text. */
  private date(value: unknown): Date | null {
    if (value === null || value === undefined) return null;
    if (value instanceof Date) return value;
    const text = String(value);
    return new Date(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(text) ? `${text.replace(' ', 'T')}Z` : text);
  }

  private sqliteDate(date: Date): string {
    return date.toISOString().replace('T', ' ').replace('Z', '');
  }
}

function grantOf(rows: Row[]): { roles: string[]; permissions: Set<string> } {
  const roles: string[] = [];
  const permissions = new Set<string>();
  for (const row of rows) {
    if (row.role_name == null) continue;
    roles.push(String(row.role_name));
    for (const permission of JSON.parse(String(row.role_permissions)) as string[]) permissions.add(permission);
  }
  return { roles: roles.sort(), permissions };
}
