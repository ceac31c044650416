import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api, type Me } from './api';
import { Console, type ConsoleContext } from './context';
import { match, Router, usePath } from './router';
import { SCREENS } from './screens';
import { SignIn, type SsoProvider } from './screens/sign-in';
import { Link } from './ui';
import './console.css';

type Session = { state: 'checking' } | { state: 'signed-out'; notice?: string } | { state: 'signed-in'; me: Me };

function App({ api, router }: { api: Api; router: Router }) {
  const [session, setSession] = useState<Session>({ state: 'checking' });
  const path = usePath(router);

  async function loadMe() {
    try {
      setSession({ state: 'signed-in', me: await api.call<Me>('GET', '/auth/me', undefined, { signIn: true }) });
    } catch {
      setSession({ state: 'signed-out' });
    }
  }

  useEffect(() => {
    // A session that times out or is revoked answers 401 to the next call: back to sign-in.
    api.onUnauthorized = () => setSession({ state: 'signed-out', notice: 'Your session has ended. Sign in again.' });
    void loadMe();
  }, []);

  const context = useMemo<ConsoleContext | null>(() => {
    if (session.state !== 'signed-in') return null;
    const granted = new Set(session.me.permissions);
    return {
      api,
      router,
      me: session.me,
      can: (permission) => session.me.is_system_admin || granted.has(permission),
      signOut: async () => {
        try {
          await api.post('/auth/logout');
        } finally {
          setSession({ state: 'signed-out', notice: 'You are signed out.' });
        }
      },
    };
  }, [session]);

  useEffect(() => {
    document.title = session.state === 'signed-in' ? 'Admin console' : 'Sign in · Admin console';
  }, [session.state]);

  // A new screen moves the focus to its heading, as a page load would: screen readers announce it, and Tab goes on from there.
  useEffect(() => {
    if (session.state !== 'signed-in') return;
    const heading = document.querySelector<HTMLElement>('main h1');
    if (!heading) return;
    heading.tabIndex = -1;
    heading.focus();
  }, [path, session.state]);

  if (session.state === 'checking') return <p class="muted">Loading…</p>;
  if (!context) return <SignIn api={api} sso={SSO} notice={session.state === 'signed-out' ? session.notice : undefined} onSignedIn={() => void loadMe()} />;

  const allowed = SCREENS.filter((s) => (s.permission === undefined || context.can(s.permission)) && (s.feature === undefined || FEATURES.has(s.feature)));
  const home = allowed.find((s) => s.nav !== undefined);
  if (path === '/' && home) router.navigate(home.path, { replace: true });
  const found = allowed.map((screen) => ({ screen, params: match(screen.path, path) })).find((m) => m.params !== null);

  return (
    <Console.Provider value={context}>
      <header class="bar">
        <span class="brand">Admin console</span>
        <nav aria-label="Sections">
          <ul>
            {allowed
              .filter((s) => s.nav)
              .map((s) => (
                <li key={s.path} aria-current={path === s.path || path.startsWith(`${s.path}/`) ? 'page' : undefined}>
                  <Link to={s.path}>{s.nav}</Link>
                </li>
              ))}
          </ul>
        </nav>
        <span class="who">Signed in as {context.me.username}</span>
        <button type="button" onClick={() => void context.signOut()}>
          Sign out
        </button>
      </header>
      <main>
        {found ? (
          found.screen.render(found.params!, FEATURES)
        ) : (
          <p class="notice error" role="alert">
            {home ? 'There is no such page, or your account may not open it.' : 'Your account may not use any section of this console.'}
          </p>
        )}
      </main>
    </Console.Provider>
  );
}

const root = document.getElementById('console')!;
/** The server's optional features that are on (the page says which): a screen needing one that is off is not offered. */
const FEATURES = new Set((root.dataset.features ?? '').split(' ').filter(Boolean));
/** The SSO providers the server has configured: a sign-in link each. */
const SSO = JSON.parse(root.dataset.sso ?? '[]') as SsoProvider[];
const router = new Router(root.dataset.base ?? '/admin');
render(<App api={new Api(root.dataset.api ?? '/api/v1')} router={router} />, root);
