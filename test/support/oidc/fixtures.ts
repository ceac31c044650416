import type { OidcProviderOptions } from 'nestjs-fabric-auth';
import { freePort } from '../demo-process.js';
import { type DatabaseKind, startTestApp, type TestApp } from '../test-app.js';
import { OIDC_API } from './sign-in.js';
import { startTestOp, type TestOp } from './test-op.js';

export const CLIENT_SECRET = 'test-op-client-secret-7d1f9c3a';

/** Providers of the app, each backed by a client at the test provider (or by its own issuer). */
export type ProviderSpecs = Record<string, Partial<OidcProviderOptions>>;

export function callbackPath(provider: string): string {
  return provider === 'oidc' ? `${OIDC_API}/callback` : `${OIDC_API}/${provider}/callback`;
}

/**
 * The demo app on `kind` with `providers`, and a real OpenID Provider holding one client per
 * provider that names no `issuer` of its own (client_id = the provider's name).
 */
export async function startAppWithOp(kind: DatabaseKind, providers: ProviderSpecs): Promise<{ t: TestApp; op: TestOp }> {
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  const own = Object.keys(providers).filter((name) => providers[name]!.issuer === undefined);
  const op = await startTestOp(() =>
    own.map((name) => ({ client_id: name, client_secret: CLIENT_SECRET, redirect_uris: [`${appUrl}${callbackPath(name)}`] })),
  );
  const configured = Object.fromEntries(
    Object.entries(providers).map(([name, spec]) => [
      name,
      {
        ...(name === 'oidc' ? {} : { type: 'oidc' as const }),
        issuer: op.issuer,
        clientId: name,
        clientSecret: CLIENT_SECRET,
        redirectUri: `${appUrl}${callbackPath(name)}`,
        ...spec,
      },
    ]),
  );
  try {
    const t = await startTestApp(kind, { port, options: { providers: configured } });
    return { t, op };
  } catch (error) {
    await op.close();
    throw error;
  }
}
