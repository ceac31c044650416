import { ApiKeyEntity } from './api-keys/api-key.entity.js';
import { AuditEventEntity } from './audit/audit-event.entity.js';
import { OidcLogoutTokenEntity } from './oidc/oidc-logout-token.entity.js';
import { UserIdentityEntity } from './oidc/user-identity.entity.js';
import { OneTimeTokenEntity } from './one-time-tokens/one-time-token.entity.js';
import { RoleAssignmentEntity } from './roles/role-assignment.entity.js';
import { RoleEntity } from './roles/role.entity.js';
import { ServiceAccountEntity } from './service-accounts/service-account.entity.js';
import { RevocationEntity } from './sessions/revocation.entity.js';
import { SigningKeyEntity } from './signing/signing-key.entity.js';
import { SessionEntity } from './sessions/session.entity.js';
import { UserEntity } from './users/user.entity.js';
import { MfaChallengeEntity } from './mfa/mfa-challenge.entity.js';
import { MfaFactorEntity } from './mfa/mfa-factor.entity.js';
import { RecoveryCodeEntity } from './mfa/recovery-code.entity.js';

/** Every entity of the library, for `TypeOrmModule.forRoot({ entities })` or a CLI DataSource. */
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
] as const;
