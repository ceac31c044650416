import type { DynamicModule } from '@nestjs/common';
import { CredentialChangeHooks } from '../../core/ports/credential-change-hook.js';
import { hookEntry } from '../../core/ports/hook-entry.js';
import { SecondFactor } from '../../core/ports/second-factor.js';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { MfaLoginService } from './mfa-login.service.js';
import { MfaSecondFactor } from './mfa-second-factor.js';
import { MfaChallenges } from './mfa-tokens.service.js';
import { MfaController } from './mfa.controller.js';
import { MfaService } from './mfa.service.js';
import { PasskeysService } from './passkeys.service.js';

/**
 * TOTP, recovery codes and passkeys (`/mfa/…`). Provides the core's `SecondFactor` port, and
 * voids pending second factors when a password changes or an account is deactivated.
 */
export class MfaFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    const voidsPendingFactors = hookEntry(CredentialChangeHooks, 'mfa');
    return featureModule(mount, {
      controllers: [{ key: 'mfa', controller: MfaController }],
      providers: [
        MfaChallenges,
        MfaService,
        PasskeysService,
        MfaLoginService,
        MfaSecondFactor,
        { provide: SecondFactor, useExisting: MfaSecondFactor },
        { provide: voidsPendingFactors, useExisting: MfaChallenges },
      ],
      exports: [MfaService, SecondFactor, voidsPendingFactors],
      providesPorts: true,
    });
  }
}
