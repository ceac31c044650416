import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { FabricClock } from '../../core/clock.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import { FabricConfigError } from '../../options/fabric-config.error.js';
import { type ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { OWNER_ROLE } from '../../options/organizations.options.js';
import { providerRoleReferences, type ProviderRoleReference } from '../../options/provider-roles.js';
import { OrganizationRoleEntity } from '../../schema/entities/organization-role.entity.js';
import { RolesService, UnknownRolesError } from '../accounts/roles.service.js';
import { passwordHashSettings } from '../../core/password-hashes.js';
import { upsertSystemAdmin } from './upsert-system-admin.js';

/**
 * At startup: roles declared in config, then a check that every role the SSO providers and
 * `auth.scim.role_mapping` grant exists (a typo would otherwise only show at someone's login or
 * in a group that silently grants nothing), then the system admin (unless disabled).
 */
@Injectable()
export class FabricSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger('FabricAuth');

  constructor(
    private readonly dataSource: DataSource,
    private readonly roles: RolesService,
    private readonly clock: FabricClock,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.roles.syncConfigRoles();
    await this.requireProviderRoles();
    await this.requireScimRoles();
    if (!this.options.seedSystemAdmin) return;
    const { created, user } = await upsertSystemAdmin(this.dataSource, {
      username: this.options.systemAdminUsername,
      password: this.options.systemAdminPassword!,
      email: this.options.systemAdminEmail,
      hashing: passwordHashSettings(this.options),
      now: new Date(this.clock.now()),
    });
    if (created) this.logger.log(`System admin "${user.username}" created`);
  }

  private async requireProviderRoles(): Promise<void> {
    const problems = await this.missingPlatformRoles(providerRoleReferences(this.options.providers));
    if (problems.length > 0) throw new FabricConfigError(problems);
  }

  /**
   * SCIM groups grant org roles with organizations on — a template role, or one an organization
   * defines for itself (never `owner`) — and platform roles otherwise.
   */
  private async requireScimRoles(): Promise<void> {
    const references = Object.entries(this.options.scim.roleMapping).flatMap(([group, roles]) =>
      roles.map((role): ProviderRoleReference => ({ path: `auth.scim.role_mapping.${group}`, role })),
    );
    if (references.length === 0) return;
    if (!this.options.organizations.enabled) {
      const problems = await this.missingPlatformRoles(references);
      if (problems.length > 0) throw new FabricConfigError(problems);
      return;
    }
    const template = new Set(Object.keys(this.options.organizations.roles));
    const names = [...new Set(references.map((r) => r.role))];
    const defined = await this.dataSource.getRepository(OrganizationRoleEntity).find({ where: { name: In(names) }, select: { name: true } });
    const known = new Set([...template, ...defined.map((r) => r.name)]);
    const problems = references.flatMap((r) =>
      r.role === OWNER_ROLE
        ? [`${r.path}: role "${OWNER_ROLE}" is never granted through SCIM`]
        : known.has(r.role)
          ? []
          : [`${r.path}: org role "${r.role}" does not exist (declare it under auth.organizations.roles or define it in an organization)`],
    );
    if (problems.length > 0) throw new FabricConfigError(problems);
  }

  private async missingPlatformRoles(references: ProviderRoleReference[]): Promise<string[]> {
    if (references.length === 0) return [];
    let missing: string[] = [];
    try {
      await this.roles.findByNames(references.map((r) => r.role));
    } catch (error) {
      if (!(error instanceof UnknownRolesError)) throw error;
      missing = error.names;
    }
    return references
      .filter((r) => missing.includes(r.role))
      .map((r) => `${r.path}: role "${r.role}" does not exist (declare it under auth.roles or create it through the roles API)`);
  }
}
