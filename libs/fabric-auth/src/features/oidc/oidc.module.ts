import type { DynamicModule } from '@nestjs/common';
import { hookEntry } from '../../core/ports/hook-entry.js';
import { SignOutHooks } from '../../core/ports/sign-out-hook.js';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { OidcClients } from './oidc-clients.js';
import { OidcLoginStates } from './oidc-login-state.js';
import { OidcLoginService } from './oidc-login.service.js';
import { OidcLogoutService } from './oidc-logout.service.js';
import { OidcController } from './oidc.controller.js';
import { UserIdentitiesController } from './user-identities.controller.js';
import { UserIdentitiesService } from './user-identities.service.js';

/**
 * Sign-in with OpenID providers (`/auth/oidc/…`) and users' linked identities
 * (`/users/{username}/identities`, switched with `users`). Hooks RP-initiated logout into
 * `POST /auth/logout`.
 */
export class OidcFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    const remembersProviderLogout = hookEntry(SignOutHooks, 'oidc');
    return featureModule(mount, {
      controllers: [
        { key: 'users', controller: UserIdentitiesController },
        { key: 'oidc', controller: OidcController },
      ],
      providers: [OidcClients, OidcLoginStates, OidcLoginService, OidcLogoutService, UserIdentitiesService, { provide: remembersProviderLogout, useExisting: OidcLogoutService }],
      exports: [OidcLoginService, remembersProviderLogout, ...(mount.providers ?? [])],
      providesPorts: true,
    });
  }
}
