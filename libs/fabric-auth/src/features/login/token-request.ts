import { ApiProperty, ApiPropertyOptional } from '../../core/open-api.js';
import { textProblem } from '../../http/validation.js';
import { PASSWORD_INPUT_MAX_LENGTH } from '../../access/passwords/password-hasher.js';
import { OAuthError } from '../../http/oauth-error.js';

/** Body of `POST /auth/token`, form-encoded or JSON (documentation; parsed by `parseTokenRequest`). */
export class TokenRequestDto {
  @ApiProperty({
    enum: ['password', 'refresh_token', 'client_credentials', 'mfa_otp', 'mfa_recovery_code'],
    description: 'password to log in, refresh_token to renew a session, client_credentials for a service account, mfa_otp or mfa_recovery_code for the second step of a login',
    example: 'password',
  })
  grant_type!: string;
  @ApiPropertyOptional({ description: 'grant_type=password', example: 'alice' })
  username?: string;
  @ApiPropertyOptional({ description: 'grant_type=password', format: 'password', example: 'Corr3ct-horse-battery' })
  password?: string;
  @ApiPropertyOptional({
    description: 'grant_type=refresh_token; may come from the refresh_token cookie instead',
    example: '7d4c2f0e-1b9a-4c3e-8f21-6a5d0b7e9c13.kQ3vN8xZ2mR5tW9yB1cF4hJ7lP0sD6gA.Xb2Yc4Zd',
  })
  refresh_token?: string;
  @ApiPropertyOptional({ description: 'Also set the access_token, refresh_token and csrf_token cookies', example: false })
  set_cookies?: boolean;
  @ApiPropertyOptional({ description: 'grant_type=client_credentials: permissions to narrow the token to (space-separated); ignored otherwise', example: '' })
  scope?: string;
  @ApiPropertyOptional({ description: 'grant_type=client_credentials: the service account id or name (or HTTP Basic); ignored otherwise', example: 'reporting-bot' })
  client_id?: string;
  @ApiPropertyOptional({ description: 'grant_type=client_credentials: one of its API keys (or HTTP Basic)', format: 'password', example: 'fab_live_3f1c2a9e' })
  client_secret?: string;
  @ApiPropertyOptional({
    description: 'grant_type=password: the device_token of an earlier login of this account (non-browser clients)',
    example: 'd1.3f1c2a9e.7b4d.1798000000.Xb2Yc4Zd',
  })
  device_token?: string;
  @ApiPropertyOptional({ description: 'grant_type=mfa_otp or mfa_recovery_code: the mfa_token of the `mfa_required` answer', example: 'mfa.3f1c2a9e.kQ3vN8xZ2mR5tW9y' })
  mfa_token?: string;
  @ApiPropertyOptional({ description: 'grant_type=mfa_otp: the 6-digit code of the authenticator app', example: '492039' })
  otp?: string;
  @ApiPropertyOptional({ description: 'grant_type=mfa_recovery_code: one unused recovery code', example: 'k3v9-x2mq-7b4d' })
  recovery_code?: string;
  @ApiPropertyOptional({
    description: 'grant_type=organization: the organization (slug or id) the session acts in from now on; the caller authenticates with its access token (Bearer, or the cookies)',
    example: 'acme',
  })
  organization?: string;
}

export type TokenRequest =
  | { grantType: 'password'; username: string; password: string; setCookies: boolean; deviceToken: string | undefined }
  | { grantType: 'refresh_token'; refreshToken: string | undefined; setCookies: boolean }
  | { grantType: 'client_credentials'; clientId: string; clientSecret: string; scope: string[] | undefined; setCookies: false }
  | { grantType: 'mfa_otp'; mfaToken: string; otp: string; setCookies: boolean }
  | { grantType: 'mfa_recovery_code'; mfaToken: string; recoveryCode: string; setCookies: boolean }
  | { grantType: 'organization'; organization: string; setCookies: boolean };

const CONTROL = /[\u0000-\u001f\u007f]/;
const BASIC = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i;

/** RFC 6749 §2.3.1: `Basic base64(urlencode(id) ":" urlencode(secret))`; undefined without one. */
export function basicCredentials(authorization: unknown): { clientId: string; clientSecret: string } | undefined {
  if (authorization === undefined) return undefined;
  const match = typeof authorization === 'string' ? BASIC.exec(authorization) : null;
  if (!match) throw new OAuthError('invalid_client', 'Authorization must be HTTP Basic client credentials', 401);
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_client', 'malformed Basic credentials', 401);
  let credentials: { clientId: string; clientSecret: string };
  try {
    const plus = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '));
    credentials = { clientId: plus(decoded.slice(0, colon)), clientSecret: plus(decoded.slice(colon + 1)) };
  } catch {
    throw new OAuthError('invalid_client', 'malformed Basic credentials', 401);
  }
  // The same limits as the form fields, so nothing the database would refuse gets that far (SEC-116).
  for (const [name, value] of [
    ['client_id', credentials.clientId],
    ['client_secret', credentials.clientSecret],
  ] as const) {
    if (value.length > MAX_LENGTH[name] || CONTROL.test(value) || textProblem(value)) throw new OAuthError('invalid_client', 'malformed Basic credentials', 401);
  }
  return credentials;
}

/** Parameters OAuth clients (Swagger UI among them) send that the server accepts and ignores. */
const IGNORED_PARAMETERS = new Set(['scope', 'client_id', 'client_secret']);
const KNOWN_PARAMETERS = new Set([
  'grant_type',
  'username',
  'password',
  'refresh_token',
  'set_cookies',
  'device_token',
  'mfa_token',
  'otp',
  'recovery_code',
  'organization',
  ...IGNORED_PARAMETERS,
]);
const MAX_LENGTH: Record<string, number> = {
  grant_type: 32,
  username: 320,
  password: PASSWORD_INPUT_MAX_LENGTH,
  refresh_token: 512,
  set_cookies: 5,
  scope: 1024,
  client_id: 256,
  client_secret: 1024,
  device_token: 200,
  mfa_token: 128,
  otp: 16,
  recovery_code: 64,
  organization: 64,
};

function stringParam(body: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = body[name];
  if (value === undefined || value === '') {
    if (required) throw new OAuthError('invalid_request', `${name} is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} must be a string`);
  if (CONTROL.test(value)) throw new OAuthError('invalid_request', `${name} must not contain control characters`);
  const problem = textProblem(value);
  if (problem) throw new OAuthError('invalid_request', `${name} ${problem}`);
  return value;
}

export function parseTokenRequest(body: unknown, basic?: { clientId: string; clientSecret: string }): TokenRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'expected a form-encoded or JSON body');
  }
  const params = body as Record<string, unknown>;
  for (const [name, value] of Object.entries(params)) {
    if (!KNOWN_PARAMETERS.has(name)) throw new OAuthError('invalid_request', `unknown parameter: ${name.slice(0, 40)}`);
    if (typeof value === 'string' && value.length > MAX_LENGTH[name]) {
      throw new OAuthError('invalid_request', `${name} is too long`);
    }
  }
  const grantType = stringParam(params, 'grant_type', true)!;
  const rawSetCookies = params.set_cookies;
  let setCookies = false;
  if (rawSetCookies === true || rawSetCookies === 'true') setCookies = true;
  else if (rawSetCookies !== undefined && rawSetCookies !== false && rawSetCookies !== 'false') {
    throw new OAuthError('invalid_request', 'set_cookies must be true or false');
  }
  for (const name of IGNORED_PARAMETERS) stringParam(params, name, false);
  switch (grantType) {
    case 'password':
      return {
        grantType,
        username: stringParam(params, 'username', true)!,
        password: stringParam(params, 'password', true)!,
        setCookies,
        deviceToken: stringParam(params, 'device_token', false),
      };
    case 'refresh_token':
      return { grantType, refreshToken: stringParam(params, 'refresh_token', false), setCookies };
    case 'client_credentials': {
      if (setCookies) throw new OAuthError('invalid_request', 'set_cookies is not for client credentials');
      const formId = stringParam(params, 'client_id', false);
      const formSecret = stringParam(params, 'client_secret', false);
      // §2.3.1: one authentication method per request.
      if (basic && (formId !== undefined || formSecret !== undefined)) {
        throw new OAuthError('invalid_request', 'client credentials both in Authorization and in the body');
      }
      const clientId = basic?.clientId ?? formId;
      const clientSecret = basic?.clientSecret ?? formSecret;
      if (!clientId || !clientSecret) throw new OAuthError('invalid_client', 'client_id and client_secret are required', 401);
      const rawScope = stringParam(params, 'scope', false);
      const scope = rawScope === undefined ? undefined : rawScope.split(' ').filter(Boolean);
      return { grantType, clientId, clientSecret, scope, setCookies: false };
    }
    case 'mfa_otp':
      return { grantType, mfaToken: stringParam(params, 'mfa_token', true)!, otp: stringParam(params, 'otp', true)!, setCookies };
    case 'mfa_recovery_code':
      return { grantType, mfaToken: stringParam(params, 'mfa_token', true)!, recoveryCode: stringParam(params, 'recovery_code', true)!, setCookies };
    case 'organization':
      return { grantType, organization: stringParam(params, 'organization', true)!, setCookies };
    default:
      throw new OAuthError('unsupported_grant_type', 'grant_type must be password, refresh_token, client_credentials, mfa_otp or mfa_recovery_code');
  }
}
