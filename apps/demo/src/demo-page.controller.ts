import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';

/** What the page tells a visitor about this running demo, fixed at startup from its config. */
export interface DemoPageFacts {
  adminUsername: string;
  /** True when the demo generated the admin password (none configured): it printed it once, at the start that created the admin. */
  adminPasswordGenerated: boolean;
  /** True when `auth.providers.oidc` is configured, the provider behind `/auth/oidc/login`. */
  ssoConfigured: boolean;
  /** Names of the SAML connections in `auth.providers`, each behind `/auth/saml/<name>/login`. */
  samlConnections: string[];
}

export const DEMO_PAGE_FACTS = Symbol('DEMO_PAGE_FACTS');

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function adminHint(facts: DemoPageFacts): string {
  const name = `<code id="admin-username">${escapeHtml(facts.adminUsername)}</code>`;
  const where = facts.adminPasswordGenerated
    ? `Its password was generated and printed once in the server's output when the account was created
      (the line <code>System admin "${escapeHtml(facts.adminUsername)}" created with the generated password: …</code>);
      set <code>FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD</code> to choose your own.`
    : `Its password is the one configured as <code>auth.system_admin_password</code>
      (the config file or <code>FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD</code>).`;
  return `<p id="admin-hint">The administrator account is ${name}. ${where}</p>`;
}

/** One link per SAML connection, named after it only when there are several to tell apart. */
function samlLinks(connections: string[]): string {
  return connections
    .map((name) => {
      const label = connections.length === 1 ? 'Sign in with SAML' : `Sign in with SAML (${escapeHtml(name)})`;
      return `
    <p><a class="saml-login" href="/api/v1/auth/saml/${encodeURIComponent(name)}/login?return_to=/">${label}</a></p>`;
    })
    .join('');
}

function renderPage(facts: DemoPageFacts): string {
  const sso = facts.ssoConfigured;
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>nestjs-fabric-auth demo</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/demo/app.css">
  <script src="/demo/app.js" defer></script>
</head>
<body>
  <main>
  <h1>nestjs-fabric-auth demo</h1>
  <p id="status">Checking your session…</p>

  <section id="signin" hidden>
    <h2>Sign in</h2>
    ${adminHint(facts)}
    <form id="password-form">
      <label>Username <input id="username" name="username" autocomplete="username webauthn"></label>
      <label>Password <input id="password" name="password" type="password" autocomplete="current-password"></label>
      <button id="password-submit" type="submit">Sign in</button>
    </form>
    <p><button id="passkey-signin" type="button">Sign in with a passkey</button></p>${
      sso
        ? `
    <p><a id="sso-login" href="/api/v1/auth/oidc/login?return_to=/">Sign in with SSO</a></p>`
        : ''
    }${samlLinks(facts.samlConnections)}
  </section>

  <section id="second-factor" hidden>
    <h2>Second factor</h2>
    <p>Your account has a second factor: <span id="factors"></span>.</p>
    <form id="otp-form">
      <label>Code from your authenticator app <input id="otp" inputmode="numeric" autocomplete="one-time-code"></label>
      <button id="otp-submit" type="submit">Verify</button>
    </form>
    <form id="recovery-form">
      <label>Or a recovery code <input id="recovery-code" autocomplete="off"></label>
      <button id="recovery-submit" type="submit">Use recovery code</button>
    </form>
    <p><button id="passkey-second" type="button">Use a passkey</button></p>
  </section>

  <section id="account" hidden>
    <h2>What this module offers</h2>
    <p>Each link answers JSON for your session (the browser sends its session cookie).</p>
    <ul id="links">
      <li><a href="/api/v1/demo/protected">Protected demo route</a>: any signed-in principal (<code>FabricGuard</code>)</li>
      <li><a href="/api/v1/demo/reports">Reports demo route</a>: needs the <code>reports:read</code> permission</li>
      <li><a href="/api/v1/demo/sensitive">Sensitive demo route</a>: needs a session signed in with a second factor (<code>@RequireMfa</code>)</li>
      <li><a href="/api/v1/users">Users</a>: needs <code>users:list</code></li>
      <li><a id="api-keys-link" href="/api/v1/users">Your API keys</a>: yours, or anyone's with <code>api_keys:list</code></li>
      <li><a href="/api/v1/signing-keys">Signing keys</a>: needs <code>signing_keys:manage</code></li>
      <li><a href="/docs">Swagger UI</a>: every route, with its permissions</li>
    </ul>
    <h2>Your second factors</h2>
    <p id="mfa-summary"></p>
    <p><button id="totp-start" type="button">Set up an authenticator app</button></p>
    <div id="totp-enrol" hidden>
      <p>Scan this QR code with your authenticator app, or type the key <code id="totp-secret"></code>.</p>
      <img id="totp-qr" alt="QR code of the authenticator key" width="200" height="200">
      <form id="totp-confirm-form">
        <label>Code it shows <input id="totp-code" inputmode="numeric" autocomplete="one-time-code"></label>
        <button id="totp-confirm" type="submit">Confirm</button>
      </form>
    </div>
    <div id="recovery" hidden>
      <p>Save these recovery codes somewhere safe. Each works once; they are shown only now.</p>
      <ol id="recovery-codes"></ol>
    </div>
    <p><label>Passkey name <input id="passkey-name" value="This device"></label>
       <button id="passkey-register" type="button">Register a passkey</button></p>
    <p><button id="logout" type="button">Log out</button>${
      sso
        ? `
       <button id="sso-logout" type="button">Log out of SSO too</button>`
        : ''
    }</p>${
      sso
        ? `
    <h2>Linked SSO identities</h2>
    <p><a id="sso-link" href="/api/v1/auth/oidc/link?return_to=/">Link an SSO identity</a></p>
    <ul id="identities"></ul>`
        : ''
    }
  </section>

  <p id="message" role="status"></p>
  <p>API: <a href="/docs">/docs</a></p>
  </main>
</body>
</html>
`;
}

/** Small and same-origin: the CSP (style-src 'self') allows it, and the demo needs no CDN. */
const STYLESHEET = `:root { color-scheme: light dark; --accent: #2457c5; --muted: #6b7280; --line: #d1d5db; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 42rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .25rem; }
h2 { font-size: 1.15rem; margin-top: 1.75rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
#status { color: var(--muted); margin-top: 0; }
form { display: grid; gap: .6rem; margin: 1rem 0; }
label { display: grid; gap: .2rem; font-weight: 500; }
input { font: inherit; padding: .45rem .6rem; border: 1px solid var(--line); border-radius: .35rem; }
button { font: inherit; padding: .45rem .9rem; border: 1px solid var(--accent); border-radius: .35rem; background: var(--accent); color: #fff; cursor: pointer; justify-self: start; }
button[type=button] { background: transparent; color: var(--accent); }
a { color: var(--accent); }
code { font-size: .9em; background: rgba(127, 127, 127, .15); padding: 0 .25rem; border-radius: .2rem; }
#admin-hint { background: rgba(36, 87, 197, .08); border-left: 3px solid var(--accent); padding: .5rem .75rem; }
#links li { margin: .25rem 0; }
#message:not(:empty) { padding: .5rem .75rem; border-left: 3px solid #b45309; background: rgba(180, 83, 9, .08); }
`;

// Served from its own URL: the CSP (script-src 'self') refuses inline scripts.
const SCRIPT = `'use strict';
const $ = (id) => document.getElementById(id);
const API = '/api/v1';
let me = null;
let mfaToken = null;

function show(section) {
  for (const id of ['signin', 'second-factor', 'account']) $(id).hidden = id !== section;
}
function say(text) {
  $('message').textContent = text;
}

/** The readable half of the signed double submit: echoed in X-CSRF-Token on unsafe requests. */
function csrfToken() {
  const cookie = document.cookie.split('; ').find((c) => c.startsWith('csrf_token='));
  return cookie ? decodeURIComponent(cookie.slice('csrf_token='.length)) : '';
}

async function call(method, path, body) {
  const res = await fetch(API + path, {
    method,
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

// WebAuthn speaks ArrayBuffers; the server speaks base64url JSON.
const toBytes = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0));
const toB64url = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
function creationOptions(o) {
  return { ...o, challenge: toBytes(o.challenge), user: { ...o.user, id: toBytes(o.user.id) },
    excludeCredentials: (o.excludeCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })) };
}
function requestOptions(o) {
  return { ...o, challenge: toBytes(o.challenge), allowCredentials: (o.allowCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })) };
}
function credentialJSON(c) {
  const r = c.response;
  const response = r.attestationObject
    ? { clientDataJSON: toB64url(r.clientDataJSON), attestationObject: toB64url(r.attestationObject), transports: r.getTransports ? r.getTransports() : [] }
    : { clientDataJSON: toB64url(r.clientDataJSON), authenticatorData: toB64url(r.authenticatorData), signature: toB64url(r.signature),
        userHandle: r.userHandle ? toB64url(r.userHandle) : undefined };
  return { id: c.id, rawId: toB64url(c.rawId), type: c.type, response, clientExtensionResults: {} };
}

async function showSession() {
  const res = await call('GET', '/auth/me');
  if (res.status !== 200) {
    me = null;
    $('status').textContent = 'Not signed in';
    delete $('status').dataset.username;
    show('signin');
    return;
  }
  me = res.body;
  $('status').textContent = 'Signed in as ' + me.username;
  $('status').dataset.username = me.username;
  show('account');
  const mfa = await call('GET', '/users/' + encodeURIComponent(me.username) + '/mfa');
  if (mfa.status === 200) {
    const f = mfa.body;
    $('mfa-summary').textContent = 'Authenticator app: ' + (f.totp.enabled ? 'on' : 'off') + '; passkeys: ' + f.passkeys.length +
      '; recovery codes left: ' + f.recovery_codes.remaining + (f.required ? ' (your role requires a second factor)' : '');
    $('mfa-summary').dataset.factors = f.factors.join(',');
    $('totp-start').hidden = f.totp.enabled;
  }
  $('api-keys-link').href = API + '/users/' + encodeURIComponent(me.username) + '/api-keys';
  if ($('identities')) await showIdentities(me.username);
}

async function showIdentities(username) {
  const path = '/users/' + encodeURIComponent(username) + '/identities';
  const res = await call('GET', path);
  $('identities').replaceChildren();
  if (res.status !== 200) return;
  for (const identity of res.body.items) {
    const item = document.createElement('li');
    item.dataset.subject = identity.subject;
    item.textContent = identity.provider + ': ' + identity.subject + ' ';
    const unlink = document.createElement('button');
    unlink.type = 'button';
    unlink.className = 'unlink';
    unlink.textContent = 'Unlink';
    unlink.addEventListener('click', async () => {
      const answer = await call('DELETE', path + '/' + identity.id);
      item.dataset.unlink = String(answer.status);
      if (answer.status === 204) await showIdentities(username);
    });
    item.append(unlink);
    $('identities').append(item);
  }
}

/** Where every sign-in ends: the token endpoint's answer (cookies set), or the second step. */
async function signedIn(res) {
  if (res.status === 200) {
    mfaToken = null;
    say(res.body.mfa_enrollment_required ? 'Set up a second factor to continue.' : '');
    return showSession();
  }
  if (res.body.error === 'mfa_required') {
    mfaToken = res.body.mfa_token;
    $('factors').textContent = res.body.factors.join(', ');
    $('passkey-second').hidden = !res.body.factors.includes('passkey');
    $('otp-form').hidden = !res.body.factors.includes('totp');
    show('second-factor');
    return say('');
  }
  say(res.body.error_description || res.body.message || 'Refused (' + res.status + ')');
}

$('password-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  signedIn(await call('POST', '/auth/token', { grant_type: 'password', username: $('username').value, password: $('password').value, set_cookies: true }));
});
$('otp-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  signedIn(await call('POST', '/auth/token', { grant_type: 'mfa_otp', mfa_token: mfaToken, otp: $('otp').value.trim(), set_cookies: true }));
});
$('recovery-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  signedIn(await call('POST', '/auth/token', { grant_type: 'mfa_recovery_code', mfa_token: mfaToken, recovery_code: $('recovery-code').value, set_cookies: true }));
});

async function passkeySignIn(withToken) {
  const begun = await call('POST', '/auth/passkey/begin', withToken ? { mfa_token: mfaToken } : {});
  if (begun.status !== 200) return signedIn(begun);
  let credential;
  try {
    credential = await navigator.credentials.get({ publicKey: requestOptions(begun.body.options) });
  } catch (error) {
    return say('Passkey cancelled: ' + error.message);
  }
  signedIn(await call('POST', '/auth/passkey/finish', { credential: credentialJSON(credential), set_cookies: true }));
}
$('passkey-signin').addEventListener('click', () => passkeySignIn(false));
$('passkey-second').addEventListener('click', () => passkeySignIn(true));

$('totp-start').addEventListener('click', async () => {
  const res = await call('POST', '/users/' + encodeURIComponent(me.username) + '/mfa/totp');
  if (res.status !== 201) return say(res.body.message || 'Refused');
  $('totp-secret').textContent = res.body.secret;
  $('totp-qr').src = res.body.qr_code;
  $('totp-enrol').hidden = false;
});
function showRecoveryCodes(codes) {
  if (!codes) return;
  $('recovery-codes').replaceChildren(...codes.map((code) => Object.assign(document.createElement('li'), { textContent: code })));
  $('recovery').hidden = false;
}
$('totp-confirm-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const res = await call('POST', '/users/' + encodeURIComponent(me.username) + '/mfa/totp/confirm', { code: $('totp-code').value.trim() });
  if (res.status !== 200) return say(res.body.message || 'Refused');
  $('totp-enrol').hidden = true;
  showRecoveryCodes(res.body.recovery_codes);
  say('Authenticator app enabled');
  await showSession();
});
$('passkey-register').addEventListener('click', async () => {
  const base = '/users/' + encodeURIComponent(me.username) + '/mfa/passkeys';
  const options = await call('POST', base + '/options');
  if (options.status !== 200) return say(options.body.message || 'Refused');
  let credential;
  try {
    credential = await navigator.credentials.create({ publicKey: creationOptions(options.body) });
  } catch (error) {
    return say('Passkey cancelled: ' + error.message);
  }
  const res = await call('POST', base, { name: $('passkey-name').value, credential: credentialJSON(credential) });
  if (res.status !== 201) return say(res.body.message || 'Refused');
  showRecoveryCodes(res.body.recovery_codes);
  say('Passkey registered');
  await showSession();
});

$('logout').addEventListener('click', async () => {
  const res = await call('POST', '/auth/logout');
  await showSession();
  if (res.status === 204) $('status').textContent = 'Signed out';
  else say('Logout failed (' + res.status + ')');
});

// Ends this session, then lets the identity provider end its own (RP-initiated logout); only with a provider.
$('sso-logout')?.addEventListener('click', async () => {
  await call('POST', '/auth/logout');
  location.assign(API + '/auth/oidc/logout?return_to=/');
});

// After SSO with a provider that wants a local factor, the callback hands the token in the fragment.
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get('mfa_token')) {
  history.replaceState(null, '', location.pathname + location.search);
  signedIn({ status: 400, body: { error: 'mfa_required', mfa_token: fragment.get('mfa_token'), factors: (fragment.get('factors') || '').split(',') } });
} else {
  showSession();
}
`;

/**
 * A one-page browser client: password, passkey and SSO sign-in with the second step, TOTP
 * enrolment with its QR code, recovery codes, passkey registration, logout with the CSRF token.
 */
@ApiExcludeController()
@Controller()
export class DemoPageController {
  private readonly html: string;

  constructor(@Inject(DEMO_PAGE_FACTS) facts: DemoPageFacts) {
    this.html = renderPage(facts);
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return this.html;
  }

  @Get('demo/app.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  script(): string {
    return SCRIPT;
  }

  @Get('demo/app.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  stylesheet(): string {
    return STYLESHEET;
  }
}
