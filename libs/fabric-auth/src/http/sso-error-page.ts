import { HttpStatus } from '@nestjs/common';
import { FabricError } from '../core/fabric-error.js';
import { headerValue, type HttpRequestLike, setResponseHeader } from '../core/request-info.js';
import type { ExternalSignInRefusal } from '../core/ports/sign-in-provider.js';

/**
 * What a person's browser is told, in the error page's `?error=`: a few stable codes, one
 * per thing the person can act on, never the provider's own words. Every sign-in protocol
 * (OIDC, SAML) answers with these.
 */
export type SsoErrorCode =
  | 'access_denied'
  | 'login_required'
  | 'no_account'
  | 'account_disabled'
  | 'account_exists'
  | 'identity_in_use'
  | 'not_signed_in'
  | 'invalid_state'
  | 'invalid_request'
  | 'login_failed'
  | 'provider_unavailable'
  | 'groups_overage';

export const SSO_ERROR_CODES: readonly SsoErrorCode[] = [
  'access_denied',
  'login_required',
  'no_account',
  'account_disabled',
  'account_exists',
  'identity_in_use',
  'not_signed_in',
  'invalid_state',
  'invalid_request',
  'login_failed',
  'provider_unavailable',
  'groups_overage',
];

/**
 * The HTTP answer to a refused single sign-on: Nest's error shape with one fixed message per
 * reason (nothing the provider said is reflected), carrying the code a browser is redirected with.
 */
export class SsoLoginRefusal extends FabricError {
  constructor(
    status: number,
    message: string,
    /** Null when there is no login to speak of (an unknown provider): the answer stays JSON. */
    readonly ssoError: SsoErrorCode | null,
  ) {
    super('sso_login_failed', message, { status });
  }
}

/** How a refused single sign-on is answered: its status, its fixed message, the code its browser is sent with. */
export interface SsoAnswer {
  status: 400 | 401 | 403 | 404 | 409 | 413 | 502 | 503;
  message: string;
  code: SsoErrorCode | null;
}

/**
 * The answers every protocol gives alike: the core's account-resolution refusals, a bad login
 * parameter and an unexpected failure. One table, spread into each protocol's own.
 */
export const SHARED_SSO_ANSWERS: Record<ExternalSignInRefusal | 'bad_parameter' | 'internal_error', SsoAnswer> = {
  no_linked_account: { status: 403, message: 'No account is linked to this identity', code: 'no_account' },
  account_inactive: { status: 403, message: 'This account is deactivated', code: 'account_disabled' },
  account_exists: { status: 409, message: 'An account with this email already exists; sign in to it and link this identity', code: 'account_exists' },
  identity_in_use: { status: 409, message: 'This identity is already linked to another account', code: 'identity_in_use' },
  link_session_ended: { status: 401, message: 'Sign in again before linking an identity', code: 'not_signed_in' },
  second_factor_unavailable: { status: 403, message: 'This account needs a second factor, which this server does not offer', code: 'login_failed' },
  bad_parameter: { status: 400, message: 'Invalid login parameter', code: 'invalid_request' },
  internal_error: { status: 503, message: 'Single sign-on is temporarily unavailable', code: 'provider_unavailable' },
};

const PROBE_ORIGIN = 'http://sso-error.invalid';

const MESSAGES: Record<SsoErrorCode, string> = {
  access_denied: 'The sign-in was cancelled or refused at your identity provider.',
  login_required: 'Your identity provider needs you to sign in there first.',
  no_account: 'There is no account for this identity here. Ask an administrator to create one.',
  account_disabled: 'This account is deactivated. Ask an administrator to reactivate it.',
  account_exists: 'An account with your email address already exists here. Sign in to it with its password, then link this identity from your account.',
  identity_in_use: 'This identity is already linked to another account.',
  not_signed_in: 'Sign in first, then link the identity again.',
  invalid_state: 'This sign-in link has expired or was already used. Please start again.',
  invalid_request: 'The sign-in request was malformed. Please start again.',
  login_failed: 'The sign-in could not be completed. Please try again.',
  provider_unavailable: 'Your identity provider cannot be reached right now. Please try again later.',
  groups_overage: 'Your identity provider left your group memberships out of the sign-in (you are in too many groups), so your access cannot be determined. Ask an administrator.',
};

function requestPath(request: HttpRequestLike): string {
  const r = request as { originalUrl?: string; url?: string };
  const url = r.originalUrl ?? r.url ?? '/';
  return url.split('?')[0];
}

/**
 * Where a refused login sends the browser: `auth.sso.error_url` when configured, else the
 * module's own page beside the route that failed (`…/auth/oidc/error`, `…/auth/saml/error`,
 * whatever prefix the app mounts it under), with `?error=<code>` added.
 */
export function ssoErrorLocation(configured: string | undefined, request: HttpRequestLike, code: SsoErrorCode): string {
  if (configured !== undefined && !configured.startsWith('/')) {
    const url = new URL(configured);
    url.searchParams.set('error', code);
    return url.href;
  }
  let target = configured;
  if (target === undefined) {
    // …/auth/<protocol>/<route> or …/auth/<protocol>/<provider or connection>/<route>
    const path = requestPath(request);
    const params = (request as { params?: Record<string, unknown> }).params;
    const depth = typeof params?.provider === 'string' || typeof params?.connection === 'string' ? 2 : 1;
    target = `${path.split('/').slice(0, -depth).join('/')}/error`;
  }
  const url = new URL(target, PROBE_ORIGIN);
  url.searchParams.set('error', code);
  return `${url.pathname}${url.search}`;
}

function isSsoErrorCode(value: unknown): value is SsoErrorCode {
  return typeof value === 'string' && (SSO_ERROR_CODES as readonly string[]).includes(value);
}

/** The default error page: the code's fixed message (an unknown code reads as `login_failed`), nothing reflected. */
export function ssoErrorPage(code: unknown): string {
  const known = isSsoErrorCode(code) ? code : 'login_failed';
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Sign-in failed</title></head>
<body>
  <h1>Sign-in failed</h1>
  <p id="sso-error" data-error="${known}">${MESSAGES[known]}</p>
  <p><a href="/">Back to the start page</a></p>
</body>
</html>
`;
}

/** `Accept: application/json` (and not HTML): an API client, which gets the JSON error instead of the error page. */
export function wantsJson(request: HttpRequestLike): boolean {
  const accept = headerValue(request, 'accept')?.toLowerCase() ?? '';
  return /\bapplication\/(?:[\w.+-]+\+)?json\b/.test(accept) && !accept.includes('text/html');
}

export interface RedirectAnswer {
  url: string;
  statusCode: number;
}

/**
 * A browser route of single sign-on: a 302 to where `redirectTo` says, never cached; a refused
 * login sends the browser to the error page with its code, or answers JSON to an API client.
 */
export async function ssoRedirect(request: HttpRequestLike, response: unknown, errorUrl: string | undefined, redirectTo: () => Promise<string>): Promise<RedirectAnswer> {
  setResponseHeader(response, 'Cache-Control', 'no-store');
  try {
    return { url: await redirectTo(), statusCode: HttpStatus.FOUND };
  } catch (error) {
    if (!(error instanceof SsoLoginRefusal) || error.ssoError === null || wantsJson(request)) throw error;
    return { url: ssoErrorLocation(errorUrl, request, error.ssoError), statusCode: HttpStatus.FOUND };
  }
}
