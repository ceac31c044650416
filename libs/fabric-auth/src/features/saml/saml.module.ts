import type { DynamicModule } from '@nestjs/common';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { SamlConnections } from './saml-connections.js';
import { SamlLoginStates } from './saml-login-state.js';
import { SamlLoginService } from './saml-login.service.js';
import { SamlController } from './saml.controller.js';

/** SAML 2.0 single sign-on (`/auth/saml/{connection}/…`), loaded when `auth.providers` names a connection with `type: saml`. */
export class SamlFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    return featureModule(mount, {
      controllers: [{ controller: SamlController }],
      providers: [SamlConnections, SamlLoginStates, SamlLoginService],
      exports: [SamlLoginService],
    });
  }
}
