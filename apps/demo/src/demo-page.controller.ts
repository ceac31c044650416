import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>nestjs-fabric-auth demo</title>
  <script src="/demo/app.js" defer></script>
</head>
<body>
  <h1>nestjs-fabric-auth demo</h1>
  <p id="status">Checking your session…</p>
  <p><a id="sso-login" href="/api/v1/auth/oidc/login?return_to=/">Sign in with SSO</a> (needs <code>auth.providers.oidc</code>)</p>
  <p><button id="logout" type="button" hidden>Log out</button>
     <button id="sso-logout" type="button" hidden>Log out of SSO too</button></p>
  <p><a id="sso-link" href="/api/v1/auth/oidc/link?return_to=/" hidden>Link an SSO identity</a></p>
  <ul id="identities"></ul>
  <p>API: <a href="/docs">/docs</a></p>
</body>
</html>
`;

// Served from its own URL: the CSP (script-src 'self') refuses inline scripts.
const SCRIPT = `'use strict';
const status = document.getElementById('status');
const logout = document.getElementById('logout');
const ssoLogout = document.getElementById('sso-logout');
const ssoLink = document.getElementById('sso-link');
const identities = document.getElementById('identities');

/** The readable half of the signed double submit: echoed in X-CSRF-Token on unsafe requests. */
function csrfToken() {
  const cookie = document.cookie.split('; ').find((c) => c.startsWith('csrf_token='));
  return cookie ? decodeURIComponent(cookie.slice('csrf_token='.length)) : '';
}

async function showSession() {
  const res = await fetch('/api/v1/auth/me', { credentials: 'same-origin' });
  if (res.ok) {
    const me = await res.json();
    status.textContent = 'Signed in as ' + me.username;
    status.dataset.username = me.username;
    logout.hidden = false;
    ssoLogout.hidden = false;
    ssoLink.hidden = false;
    await showIdentities(me.username);
  } else {
    status.textContent = 'Not signed in';
    logout.hidden = true;
    ssoLogout.hidden = true;
    ssoLink.hidden = true;
  }
}

async function showIdentities(username) {
  const res = await fetch('/api/v1/users/' + encodeURIComponent(username) + '/identities', { credentials: 'same-origin' });
  identities.replaceChildren();
  if (!res.ok) return;
  for (const identity of (await res.json()).items) {
    const item = document.createElement('li');
    item.dataset.subject = identity.subject;
    item.textContent = identity.provider + ': ' + identity.subject + ' ';
    const unlink = document.createElement('button');
    unlink.type = 'button';
    unlink.className = 'unlink';
    unlink.textContent = 'Unlink';
    unlink.addEventListener('click', async () => {
      const answer = await fetch('/api/v1/users/' + encodeURIComponent(username) + '/identities/' + identity.id, {
        method: 'DELETE',
        credentials: 'same-origin',
        headers: { 'X-CSRF-Token': csrfToken() },
      });
      item.dataset.unlink = String(answer.status);
      if (answer.status === 204) await showIdentities(username);
    });
    item.append(unlink);
    identities.append(item);
  }
}

logout.addEventListener('click', async () => {
  const res = await fetch('/api/v1/auth/logout', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'X-CSRF-Token': csrfToken() },
  });
  status.textContent = res.status === 204 ? 'Signed out' : 'Logout failed (' + res.status + ')';
  delete status.dataset.username;
  logout.hidden = res.status === 204;
});

// Ends this session, then lets the identity provider end its own (RP-initiated logout).
ssoLogout.addEventListener('click', async () => {
  await fetch('/api/v1/auth/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrfToken() } });
  location.assign('/api/v1/auth/oidc/logout?return_to=/');
});

showSession();
`;

/** A one-page browser client: shows who is signed in and their linked identities, links to SSO, logs out (here, or at the provider too). */
@ApiExcludeController()
@Controller()
export class DemoPageController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return PAGE;
  }

  @Get('demo/app.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  script(): string {
    return SCRIPT;
  }
}
