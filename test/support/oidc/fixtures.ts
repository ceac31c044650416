import type { FabricAuthFeatureName, FabricAuthOptions, OidcProviderOptions } from 'nestjs-fabric-auth';
import { freePort } from '../demo-process.js';
import { startTestApp, type TestApp, type TestTarget } from '../test-app.js';
import { OIDC_API } from './sign-in.js';
import { startTestOp, type TestOp } from './test-op.js';

export const CLIENT_SECRET = 'test-op-client-secret-7d1f9c3a';

/** Providers of the app by name, each backed by a client at a test provider. */
export type ProviderSpecs = Record<string, Partial<OidcProviderOptions>>;

export function callbackPath(provider: string): string {
  return provider === 'oidc' ? `${OIDC_API}/callback` : `${OIDC_API}/${provider}/callback`;
}

export function backchannelPath(provider: string): string {
  return provider === 'oidc' ? `${OIDC_API}/backchannel-logout` : `${OIDC_API}/${provider}/backchannel-logout`;
}

/**
 * The demo app on `kind` with `providers`, and a real OpenID Provider holding one client per
 * provider (client_id = the provider's name). Providers listed in `ownProvider` get an
 * OpenID Provider of their own (another issuer), found under `ops[name]`.
 */
export async function startAppWithOp(
  kind: TestTarget,
  providers: ProviderSpecs,
  ownProvider: string[] = [],
  options: Partial<FabricAuthOptions> = {},
  features?: readonly FabricAuthFeatureName[],
): Promise<{ t: TestApp; op: TestOp; ops: Record<string, TestOp> }> {
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  const client = (name: string) => ({
    client_id: name,
    client_secret: CLIENT_SECRET,
    redirect_uris: [`${appUrl}${callbackPath(name)}`],
    post_logout_redirect_uris: [`${appUrl}/`],
    backchannel_logout_uri: `${appUrl}${backchannelPath(name)}`,
  });
  const started: TestOp[] = [];
  try {
    const op = await startTestOp(() =>
      Object.keys(providers)
        .filter((name) => !ownProvider.includes(name))
        .map(client),
    );
    started.push(op);
    const ops: Record<string, TestOp> = {};
    for (const name of ownProvider) started.push((ops[name] = await startTestOp(() => [client(name)])));
    const configured = Object.fromEntries(
      Object.entries(providers).map(([name, spec]) => [
        name,
        {
          ...(name === 'oidc' ? {} : { type: 'oidc' as const }),
          issuer: (ops[name] ?? op).issuer,
          clientId: name,
          clientSecret: CLIENT_SECRET,
          redirectUri: `${appUrl}${callbackPath(name)}`,
          postLogoutRedirectUri: `${appUrl}/`,
          ...spec,
        },
      ]),
    );
    const t = await startTestApp(kind, { port, options: { ...options, providers: configured }, ...(features ? { features } : {}) });
    return { t, op, ops };
  } catch (error) {
    for (const op of started) await op.close();
    throw error;
  }
}
