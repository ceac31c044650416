import type { DataSource } from 'typeorm';
import { dialectFor } from '../../data/pagination/dialect.js';
import { OrganizationMemberRoleEntity } from '../../schema/entities/organization-member-role.entity.js';
import { quotedTableName } from '../../schema/table-name.js';

/**
 * The org role names of the membership whose id is `memberId` (an SQL column, e.g. `"m"."id"`),
 * in role order, as a scalar subquery for a list page's own statement (ListRequest.attach):
 * the page and its rows' roles in one round trip, on the (member_id, role) primary key.
 */
export function memberRoleNamesColumn(dataSource: DataSource, memberId: string): string {
  return dialectFor(dataSource).jsonArrayOf(
    'fabric_mr.role',
    `FROM ${quotedTableName(dataSource, OrganizationMemberRoleEntity)} fabric_mr WHERE fabric_mr.member_id = ${memberId}`,
    true,
  );
}
