import { useEffect, useRef, useState } from 'preact/hooks';
import { type Api, ApiError } from '../api';
import { ErrorNotice } from '../ui';
import { passkeyAssertion } from '../webauthn';

/** An SSO provider configured on the server (the page's `data-sso`): a link to its existing login route. */
export interface SsoProvider {
  name: string;
  login: string;
}

/** A second step the OIDC callback handed over in the fragment (never in a server log): `#mfa_token=…&factors=…`. */
function secondStepFromFragment(): SecondStep | null {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const mfaToken = fragment.get('mfa_token');
  if (!mfaToken) return null;
  window.history.replaceState(null, '', window.location.pathname);
  return { mfaToken, factors: (fragment.get('factors') ?? '').split(',').filter(Boolean) };
}

interface SecondStep {
  mfaToken: string;
  factors: string[];
}

/**
 * Sign-in through the library's own token endpoint in cookie mode (`set_cookies`): the password,
 * then the second factor the API asks for (`mfa_required`), as any browser client does.
 */
export function SignIn({ api, notice, sso, onSignedIn }: { api: Api; notice?: string; sso: readonly SsoProvider[]; onSignedIn(): void }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [second, setSecond] = useState<SecondStep | null>(secondStepFromFragment);
  const [useRecovery, setUseRecovery] = useState(false);

  async function token(body: Record<string, unknown>) {
    setBusy(true);
    setError(null);
    try {
      await api.call('POST', '/auth/token', { ...body, set_cookies: true }, { signIn: true });
      onSignedIn();
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'mfa_required' && caught.body) {
        setSecond({ mfaToken: String(caught.body.mfa_token), factors: (caught.body.factors as string[] | undefined) ?? [] });
      } else {
        setError(caught);
      }
    } finally {
      setBusy(false);
    }
  }

  /** The passkey routes (passwordless, or with `mfa_token` the second step), as the token endpoint in cookie mode. */
  async function passkey(mfaToken?: string) {
    setBusy(true);
    setError(null);
    try {
      const begun = await api.call<{ options: Parameters<typeof passkeyAssertion>[0] }>('POST', '/auth/passkey/begin', mfaToken ? { mfa_token: mfaToken } : {}, { signIn: true });
      let credential: unknown;
      try {
        credential = await passkeyAssertion(begun.options);
      } catch {
        throw new ApiError(0, 'No passkey was used. Try again, or sign in another way.');
      }
      await api.call('POST', '/auth/passkey/finish', { credential, set_cookies: true }, { signIn: true });
      onSignedIn();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  const field = (form: HTMLFormElement, name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
  // Each step starts in its first field, so that a keyboard user types straight away.
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), [second, useRecovery]);

  if (second) {
    return (
      <main class="sign-in">
        <h1>Second factor</h1>
        <ErrorNotice error={error} />
        {/* Keyed: each step is a new form, so that no field keeps what was typed in another one. */}
        {useRecovery || !second.factors.includes('totp') ? (
          <form
            key="recovery"
            onSubmit={(event) => {
              event.preventDefault();
              void token({ grant_type: 'mfa_recovery_code', mfa_token: second.mfaToken, recovery_code: field(event.currentTarget, 'recovery_code').trim() });
            }}
          >
            <label>
              Recovery code
              <input ref={first} name="recovery_code" autocomplete="off" required />
            </label>
            <button type="submit" disabled={busy}>
              Verify
            </button>
          </form>
        ) : (
          <form
            key="otp"
            onSubmit={(event) => {
              event.preventDefault();
              void token({ grant_type: 'mfa_otp', mfa_token: second.mfaToken, otp: field(event.currentTarget, 'otp').trim() });
            }}
          >
            <label>
              Code from your authenticator app
              <input ref={first} name="otp" inputMode="numeric" autocomplete="one-time-code" required />
            </label>
            <button type="submit" disabled={busy}>
              Verify
            </button>
          </form>
        )}
        {second.factors.includes('passkey') && (
          <button type="button" class="link" disabled={busy} onClick={() => void passkey(second.mfaToken)}>
            Use a passkey
          </button>
        )}
        {second.factors.includes('totp') && (
          <button type="button" class="link" onClick={() => setUseRecovery(!useRecovery)}>
            {useRecovery ? 'Use a code from your authenticator app' : 'Use a recovery code'}
          </button>
        )}
        <button type="button" class="link" onClick={() => setSecond(null)}>
          Start again
        </button>
      </main>
    );
  }

  return (
    <main class="sign-in">
      <h1>Sign in to the admin console</h1>
      {notice && (
        <p class="notice status" role="status">
          {notice}
        </p>
      )}
      <ErrorNotice error={error} />
      <form
        key="password"
        onSubmit={(event) => {
          event.preventDefault();
          void token({ grant_type: 'password', username: field(event.currentTarget, 'username'), password: field(event.currentTarget, 'password') });
        }}
      >
        <label>
          Username
          <input ref={first} name="username" autocomplete="username" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <button type="button" class="link" disabled={busy} onClick={() => void passkey()}>
        Use a passkey
      </button>
      {sso.map((provider) => (
        <a key={provider.name} class="sso" href={`${provider.login}?return_to=${encodeURIComponent(window.location.pathname)}`}>
          Sign in with {provider.name}
        </a>
      ))}
    </main>
  );
}
