import { ApiKeyEntity } from './entities/api-key.entity.js';
import { AuditEventEntity } from './entities/audit-event.entity.js';
import { OidcLogoutTokenEntity } from './entities/oidc-logout-token.entity.js';
import { UserIdentityEntity } from './entities/user-identity.entity.js';
import { OneTimeTokenEntity } from './entities/one-time-token.entity.js';
import { RoleAssignmentEntity } from './entities/role-assignment.entity.js';
import { RoleEntity } from './entities/role.entity.js';
import { ServiceAccountEntity } from './entities/service-account.entity.js';
import { RevocationEntity } from './entities/revocation.entity.js';
import { SigningKeyEntity } from './entities/signing-key.entity.js';
import { SessionEntity } from './entities/session.entity.js';
import { UserEntity } from './entities/user.entity.js';
import { MfaChallengeEntity } from './entities/mfa-challenge.entity.js';
import { MfaFactorEntity } from './entities/mfa-factor.entity.js';
import { RecoveryCodeEntity } from './entities/recovery-code.entity.js';
import { OrganizationEntity } from './entities/organization.entity.js';
import { OrganizationDomainEntity } from './entities/organization-domain.entity.js';
import { OrganizationMemberEntity } from './entities/organization-member.entity.js';
import { OrganizationMemberRoleEntity } from './entities/organization-member-role.entity.js';
import { OrganizationRoleEntity } from './entities/organization-role.entity.js';
import { OrganizationInvitationEntity } from './entities/organization-invitation.entity.js';
import { OrganizationSsoConnectionEntity } from './entities/organization-sso-connection.entity.js';
import { SamlUsedAssertionEntity } from './entities/saml-used-assertion.entity.js';
import { ScimUserEntity } from './entities/scim-user.entity.js';
import { ScimGroupEntity } from './entities/scim-group.entity.js';
import { ScimGroupMemberEntity } from './entities/scim-group-member.entity.js';
import { ScimUserEmailEntity } from './entities/scim-user-email.entity.js';
import { EventOutboxEntity } from './entities/event-outbox.entity.js';
import { WebhookEndpointEntity } from './entities/webhook-endpoint.entity.js';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity.js';

/**
 * Every entity of the library, for `TypeOrmModule.forRoot({ entities })` or a CLI DataSource.
 *
 * @publicApi
 */
export const FABRIC_AUTH_ENTITIES = [
  UserEntity,
  RoleEntity,
  RoleAssignmentEntity,
  SessionEntity,
  ApiKeyEntity,
  ServiceAccountEntity,
  OneTimeTokenEntity,
  AuditEventEntity,
  UserIdentityEntity,
  RevocationEntity,
  SigningKeyEntity,
  OidcLogoutTokenEntity,
  MfaFactorEntity,
  RecoveryCodeEntity,
  MfaChallengeEntity,
  OrganizationEntity,
  OrganizationDomainEntity,
  OrganizationMemberEntity,
  OrganizationMemberRoleEntity,
  OrganizationRoleEntity,
  OrganizationInvitationEntity,
  OrganizationSsoConnectionEntity,
  SamlUsedAssertionEntity,
  ScimUserEntity,
  ScimGroupEntity,
  ScimGroupMemberEntity,
  ScimUserEmailEntity,
  EventOutboxEntity,
  WebhookEndpointEntity,
  WebhookDeliveryEntity,
] as const;
