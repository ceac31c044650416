import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { FabricClock } from '../common/clock.js';
import { FABRIC_RESOLVED_OPTIONS } from '../fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../fabric-auth.options.js';
import { RolesService } from '../roles/roles.service.js';
import { upsertSystemAdmin } from './upsert-system-admin.js';

/** At startup: roles declared in config, then the system admin (unless disabled). */
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
    if (!this.options.seedSystemAdmin) return;
    const { created, user } = await upsertSystemAdmin(this.dataSource, {
      username: this.options.systemAdminUsername,
      password: this.options.systemAdminPassword!,
      email: this.options.systemAdminEmail,
      bcryptCost: this.options.bcryptCost,
      now: new Date(this.clock.now()),
    });
    if (created) this.logger.log(`System admin "${user.username}" created`);
  }
}
