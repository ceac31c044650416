import type { DynamicModule } from '@nestjs/common';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { AuditController } from './audit.controller.js';

/** The audit log's read API (`/audit`); the writer is the core's. */
export class AuditFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    return featureModule(mount, { controllers: [{ key: 'audit', controller: AuditController }], providers: [] });
  }
}
