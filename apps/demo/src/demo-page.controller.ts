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
  <p><button id="logout" type="button" hidden>Log out</button></p>
  <p>API: <a href="/docs">/docs</a></p>
</body>
</html>
`;

// Served from its own URL: the CSP (script-src 'self') refuses inline scripts.
const SCRIPT = `'use strict';
const status = document.getElementById('status');
const logout = document.getElementById('logout');

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
  } else {
    status.textContent = 'Not signed in';
    logout.hidden = true;
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

showSession();
`;

/** A one-page browser client: shows who is signed in, links to SSO, logs out with the CSRF token. */
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
