import type { DynamicModule } from '@nestjs/common';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { SigningKeysController } from './signing-keys.controller.js';
import { WellKnownController } from './well-known.controller.js';

/** Signing-key rotation (`/signing-keys`) and the published JWKS and metadata (`/.well-known/…`, outside the prefix). */
export class SigningKeysFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    return featureModule(mount, {
      controllers: [
        { key: 'signingKeys', controller: SigningKeysController },
        { key: 'wellKnown', controller: WellKnownController, at: 'root' },
      ],
      providers: [],
    });
  }
}
