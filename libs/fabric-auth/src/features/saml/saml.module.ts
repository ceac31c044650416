import type { DynamicModule } from '@nestjs/common';
import { hookEntry } from '../../core/ports/hook-entry.js';
import { SignOutHooks } from '../../core/ports/sign-out-hook.js';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { SamlMetadataReader } from '../../core/ports/saml-metadata-reader.js';
import { SamlConnections, SamlIdpMetadataReader } from './saml-connections.js';
import { SamlLoginStates } from './saml-login-state.js';
import { SamlLoginService } from './saml-login.service.js';
import { SamlLogoutService } from './saml-logout.service.js';
import { SamlController } from './saml.controller.js';

/**
 * SAML 2.0 single sign-on (`/auth/saml/{connection}/…`), loaded when `auth.providers` names a
 * connection with `type: saml`, or organizations have their own connections. Hooks SP-initiated
 * single logout into `POST /auth/logout`; reads organizations' IdP metadata (`SamlMetadataReader`).
 */
export class SamlFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    const remembersIdpLogout = hookEntry(SignOutHooks, 'saml');
    return featureModule(mount, {
      controllers: [{ controller: SamlController }],
      providers: [
        SamlConnections,
        SamlLoginStates,
        SamlLoginService,
        SamlLogoutService,
        { provide: remembersIdpLogout, useExisting: SamlLogoutService },
        { provide: SamlMetadataReader, useClass: SamlIdpMetadataReader },
      ],
      exports: [SamlLoginService, remembersIdpLogout, SamlMetadataReader],
      providesPorts: true,
    });
  }
}
