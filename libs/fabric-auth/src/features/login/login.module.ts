import type { DynamicModule } from '@nestjs/common';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { AccountRecoveryService } from './account-recovery.service.js';
import { AuthController } from './auth.controller.js';
import { ClientCredentialsService } from './client-credentials.service.js';
import { IssuedTokensService } from './issued-tokens.service.js';
import { LocalAuthService } from './local-auth.service.js';
import { OrganizationGrant } from './organization-grant.service.js';

/** Login, refresh, logout, the token endpoint's grants, activation and password recovery (`/auth/…`). */
export class LoginFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    return featureModule(mount, {
      controllers: [{ key: 'auth', controller: AuthController }],
      providers: [AccountRecoveryService, ClientCredentialsService, IssuedTokensService, LocalAuthService, OrganizationGrant],
    });
  }
}
