// nestjs-fabric-auth/entities: the library's TypeORM entities and their table prefix, for an app's
// own DataSource (the TypeORM CLI, seeders) and its queries on the library's tables.
export { FABRIC_AUTH_ENTITIES } from './schema/entities.js';
export { fabricAuthTablePrefix, setFabricAuthTablePrefix } from './schema/table-prefix.js';
export { ApiKeyEntity } from './schema/entities/api-key.entity.js';
export { AuditEventEntity } from './schema/entities/audit-event.entity.js';
export { MfaChallengeEntity } from './schema/entities/mfa-challenge.entity.js';
export { MfaFactorEntity } from './schema/entities/mfa-factor.entity.js';
export { OidcLogoutTokenEntity } from './schema/entities/oidc-logout-token.entity.js';
export { OneTimeTokenEntity, type OneTimeTokenPurpose } from './schema/entities/one-time-token.entity.js';
export { OrganizationEntity } from './schema/entities/organization.entity.js';
export { OrganizationDomainEntity } from './schema/entities/organization-domain.entity.js';
export { OrganizationInvitationEntity } from './schema/entities/organization-invitation.entity.js';
export { OrganizationMemberEntity } from './schema/entities/organization-member.entity.js';
export { OrganizationMemberRoleEntity } from './schema/entities/organization-member-role.entity.js';
export { OrganizationRoleEntity } from './schema/entities/organization-role.entity.js';
export { RecoveryCodeEntity } from './schema/entities/recovery-code.entity.js';
export { RevocationEntity } from './schema/entities/revocation.entity.js';
export { RoleAssignmentEntity } from './schema/entities/role-assignment.entity.js';
export { RoleEntity } from './schema/entities/role.entity.js';
export { SamlUsedAssertionEntity } from './schema/entities/saml-used-assertion.entity.js';
export { ScimGroupEntity } from './schema/entities/scim-group.entity.js';
export { ScimGroupMemberEntity } from './schema/entities/scim-group-member.entity.js';
export { type ScimAttributes, ScimUserEntity } from './schema/entities/scim-user.entity.js';
export { ServiceAccountEntity } from './schema/entities/service-account.entity.js';
export { SessionEntity } from './schema/entities/session.entity.js';
export { SigningKeyEntity } from './schema/entities/signing-key.entity.js';
export { UserEntity } from './schema/entities/user.entity.js';
export { UserIdentityEntity } from './schema/entities/user-identity.entity.js';
