import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Not, type Repository } from 'typeorm';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { MfaFactorEntity } from '../../schema/entities/mfa-factor.entity.js';
import { RecoveryCodeEntity } from '../../schema/entities/recovery-code.entity.js';
import type { UserEntity } from '../../schema/entities/user.entity.js';
import { RolesService } from '../accounts/roles.service.js';
import { OrganizationAccess } from '../../core/ports/organization-access.js';

export type LoginFactor = 'totp' | 'passkey' | 'recovery_code';

/**
 * The two facts every sign-in needs about second factors, whether or not the MFA feature is
 * mounted: which factors a user holds, and whether the policy demands one. The MFA feature
 * builds on them; the core's `NoSecondFactor` reads them to refuse who would need one.
 */
@Injectable()
export class MfaPolicy {
  constructor(
    @InjectRepository(MfaFactorEntity) private readonly factors: Repository<MfaFactorEntity>,
    @InjectRepository(RecoveryCodeEntity) private readonly codes: Repository<RecoveryCodeEntity>,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly roles: RolesService,
    @Inject(OrganizationAccess) private readonly organizations: OrganizationAccess,
  ) {}

  /** The factors a login may complete with (confirmed TOTP, passkeys, unused recovery codes). */
  async loginFactors(userId: string): Promise<LoginFactor[]> {
    const rows = await this.factors.find({ where: { userId, confirmedAt: Not(IsNull()) }, select: { id: true, type: true } });
    if (rows.length === 0) return [];
    const factors: LoginFactor[] = [];
    if (rows.some((r) => r.type === 'totp')) factors.push('totp');
    if (rows.some((r) => r.type === 'passkey')) factors.push('passkey');
    if ((await this.codes.countBy({ userId, usedAt: IsNull() })) > 0) factors.push('recovery_code');
    return factors;
  }

  /**
   * Whether `auth.mfa.required_for` names a permission or role this user holds (the system admin
   * holds every permission), or an organization they belong to requires a second factor
   * (`mfa_required`, SPEC §15).
   */
  async requires(user: Pick<UserEntity, 'id' | 'isSystemAdmin'>): Promise<boolean> {
    return (await this.requiredByRoles(user)) || (await this.organizations.requiresSecondFactor(user.id));
  }

  private async requiredByRoles(user: Pick<UserEntity, 'id' | 'isSystemAdmin'>): Promise<boolean> {
    const names = this.options.mfa.requiredFor;
    if (names.length === 0) return false;
    if (user.isSystemAdmin && (names.includes('system_admin') || names.some((n) => n.includes(':')))) return true;
    const grants = await this.roles.grantsOf({ userId: user.id });
    return names.some((n) => grants.roles.includes(n) || grants.permissions.has(n));
  }
}
