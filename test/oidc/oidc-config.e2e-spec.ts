import type { OidcProviderOptions } from 'nestjs-fabric-auth';
import { describe, expect, it } from 'vitest';
import { DATABASES, startTestApp, startupProblems } from '../support/test-app.js';

const PROVIDER: OidcProviderOptions = {
  issuer: 'http://127.0.0.1:9',
  clientId: 'app',
  redirectUri: 'http://127.0.0.1:3000/api/v1/auth/oidc/callback',
};

const startupProblemsOf = (kind: (typeof DATABASES)[number], providers: Record<string, OidcProviderOptions>) =>
  startupProblems(() => startTestApp(kind, { options: { providers } }));

describe.each(DATABASES)('SSO provider config checked at startup on %s', (kind) => {
  it('an unknown role in default_roles or role_mapping stops startup, naming the key', async () => {
    const problems = await startupProblemsOf(kind, {
      oidc: { ...PROVIDER, defaultRoles: ['viewer', 'viewr'] },
      corp: { ...PROVIDER, roleClaim: 'groups', roleMapping: { admins: ['auditor', 'super_admin'] } },
    });
    expect(problems).toEqual([
      'auth.providers.oidc.default_roles: role "viewr" does not exist (declare it under auth.roles or create it through the roles API)',
      'auth.providers.corp.role_mapping.admins: role "super_admin" does not exist (declare it under auth.roles or create it through the roles API)',
    ]);
  });

  it('known roles start, and a named provider needs no type (oidc is the default)', async () => {
    const t = await startTestApp(kind, {
      options: { providers: { corp: { ...PROVIDER, defaultRoles: ['viewer'], roleClaim: 'groups', roleMapping: { audit: ['auditor'] } } } },
    });
    await t.close();
  });
});
