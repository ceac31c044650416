import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { FabricClock } from '../../core/clock.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import { FabricConfigError } from '../../options/fabric-config.error.js';
import { type ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { providerRoleReferences } from '../../options/provider-roles.js';
import { RolesService, UnknownRolesError } from '../accounts/roles.service.js';
import { passwordHashSettings } from '../../core/password-hashes.js';
import { upsertSystemAdmin } from './upsert-system-admin.js';

/**
 * At startup: roles declared in config, then a check that every role the SSO providers
 * grant exists (a typo would otherwise only show at someone's login), then the system
 * admin (unless disabled).
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
    const references = providerRoleReferences(this.options.providers);
    if (references.length === 0) return;
    let missing: string[] = [];
    try {
      await this.roles.findByNames(references.map((r) => r.role));
    } catch (error) {
      if (!(error instanceof UnknownRolesError)) throw error;
      missing = error.names;
    }
    const problems = references
      .filter((r) => missing.includes(r.role))
      .map((r) => `${r.path}: role "${r.role}" does not exist (declare it under auth.roles or create it through the roles API)`);
    if (problems.length > 0) throw new FabricConfigError(problems);
  }
}
