import { STATUS_CODES } from 'node:http';
import { HttpException } from '@nestjs/common';

/** One entry of the catalog: the HTTP status a code answers with, and what it means. */
interface FabricErrorCodeEntry {
  readonly status: number;
  /** Shown when the thrower gives no message of its own. */
  readonly message: string;
  /** The body's `error` field is the code itself (the MFA refusals, pinned by SPEC §14), not the status name. */
  readonly codeAsError?: true;
}

/**
 * Every error the library throws carries one of these codes (jose's `code`, Better Auth's
 * catalog): stable across releases, for `switch (error.code)` in an app and in tests. The
 * status is the one place a code becomes HTTP; an entry is added only with a new refusal,
 * and a code is never renamed or reused for another meaning.
 *
 * Status 500 marks an internal error: never an answer of its own (the client gets Nest's
 * generic 500 and the log gets the error), most are caught and translated before the edge.
 */
export const FABRIC_ERROR_CATALOG = {
  // The request itself
  /** 400 — malformed input: a body, query, path or parameter the library refuses (the message says which). */
  invalid_request: { status: 400, message: 'Invalid request' },
  /** 400 — a list cursor that is forged, stale or given with an offset. */
  invalid_cursor: { status: 400, message: 'cursor is not valid' },
  /** 400 — a value the database cannot store (a NUL, an unencodable character, too long). */
  value_not_storable: { status: 400, message: 'A value is not valid for storage (a NUL, an unencodable character or too long)' },
  /** 415 — a body in another charset than UTF-8. */
  unsupported_media_type: { status: 415, message: 'Unsupported media type' },

  // Who are you (one generic answer per status; the reason is logged)
  /** 401 — no credential on the request. */
  authentication_required: { status: 401, message: 'Authentication required' },
  /** 401 — a credential that is not valid (expired, revoked, bad signature, inactive account: logged, never said). */
  invalid_credentials: { status: 401, message: 'Invalid credentials' },
  /** 400 — a one-time token (activation, reset, email verification) that is unknown, used or expired. */
  invalid_token: { status: 400, message: 'Invalid or expired token' },

  // Not allowed
  /** 403 — a valid credential without the permission, scope or ceiling the action needs. */
  permission_denied: { status: 403, message: 'Forbidden' },
  /** 403 — a cookie session's write without its CSRF token. */
  csrf_token_invalid: { status: 403, message: 'Missing or invalid CSRF token' },
  /** 403 — the route needs a session signed in with a second factor (`error` is the code); at the token endpoint, RFC 6749-shaped 400 with `mfa_token` and `factors`. */
  mfa_required: { status: 403, message: 'This route needs a session signed in with a second factor', codeAsError: true },
  /** 403 — the MFA policy limits this session to enrolling a factor (`error` is the code). */
  mfa_enrollment_required: { status: 403, message: 'Enrol a second factor before using this session for anything else', codeAsError: true },
  /** 403 — an `@OrgScoped()` route called without an active organization, or by someone no longer a member of it (`error` is the code). */
  organization_required: { status: 403, message: 'This route acts in an organization: choose one with grant_type=organization', codeAsError: true },
  /** 403 — the invitation names another email address than the caller's. */
  invitation_email_mismatch: { status: 403, message: 'This invitation is for another email address' },
  /** 403 — the application's before-hook (`@BeforeFabricEvent`) refused a login or an account creation; the message is its reason (`error` is the code). */
  action_refused: { status: 403, message: 'The application refused this action', codeAsError: true },
  /** 403 — the action needs the caller's email address verified first. */
  email_not_verified: { status: 403, message: 'Verify your email address first' },

  // Unknown resource
  /** 404 — no such user. */
  user_not_found: { status: 404, message: 'User not found' },
  /** 404 — no such live session of that user. */
  session_not_found: { status: 404, message: 'Session not found' },
  /** 404 — no such role. */
  role_not_found: { status: 404, message: 'Role not found' },
  /** 404 — no such API key of that owner. */
  api_key_not_found: { status: 404, message: 'API key not found' },
  /** 404 — no such service account. */
  service_account_not_found: { status: 404, message: 'Service account not found' },
  /** 404 — no such linked identity of that user. */
  identity_not_found: { status: 404, message: 'Identity not found' },
  /** 404 — no identity provider of that name. */
  identity_provider_not_found: { status: 404, message: 'Unknown identity provider' },
  /** 404 — no such passkey of that user. */
  passkey_not_found: { status: 404, message: 'Passkey not found' },
  /** 404 — passkeys are not configured on this server. */
  passkeys_unavailable: { status: 404, message: 'Passkeys are not available on this server' },
  /** 404 — the user has no TOTP factor to remove. */
  totp_not_enabled: { status: 404, message: 'TOTP is not enabled' },
  /** 404 — no such organization, or one the caller is not a member of (no existence oracle). */
  organization_not_found: { status: 404, message: 'Organization not found' },
  /** 404 — no such member of that organization. */
  organization_member_not_found: { status: 404, message: 'Member not found' },
  /** 404 — no such SCIM resource (user, group, schema) in the SCIM token's organization. */
  scim_resource_not_found: { status: 404, message: 'Resource not found' },
  /** 404 — no such role in that organization. */
  organization_role_not_found: { status: 404, message: 'Organization role not found' },
  /** 404 — no such webhook endpoint, or no such delivery of it. */
  webhook_not_found: { status: 404, message: 'Webhook not found' },
  /** 404 — no such invitation of that organization. */
  invitation_not_found: { status: 404, message: 'Invitation not found' },
  /** 404 — that organization claims no such domain. */
  domain_not_found: { status: 404, message: 'Domain not found' },
  /** 404 — that organization has no such SSO connection (another organization's is not found either). */
  connection_not_found: { status: 404, message: 'Connection not found' },

  // Second factors
  /** 400 — a TOTP or recovery code that is wrong. */
  incorrect_code: { status: 400, message: 'The code is incorrect' },
  /** 400 — no TOTP enrolment to confirm (never started, or expired). */
  no_enrolment_in_progress: { status: 400, message: 'No TOTP enrolment in progress (or it expired); start one with POST …/mfa/totp' },
  /** 400 — a passkey registration refused (malformed credential, unknown challenge, failed verification). */
  passkey_refused: { status: 400, message: 'The passkey registration was refused' },
  /** 409 — a second factor already enrolled, or the limit of passkeys reached. */
  factor_already_enrolled: { status: 409, message: 'TOTP is already enabled; remove it before enrolling a new secret' },
  /** 409 — the action needs a second factor enrolled first. */
  factor_required: { status: 409, message: 'Enrol a second factor first: recovery codes stand in for one' },

  // Conflicts with what exists
  /** 409 — a name already taken (username, email, role, service account, passkey). */
  already_exists: { status: 409, message: 'This conflicts with an existing record' },
  /** 409 — the account's state forbids the action (deactivated, no email, already verified or activated, only sign-in method). */
  account_state_conflict: { status: 409, message: 'The account is deactivated' },
  /** 409 — the last active system admin cannot be deactivated. */
  last_system_admin: { status: 409, message: 'The last active system admin cannot be deactivated' },
  /** 409 — a role the configuration grants cannot be deleted here. */
  role_in_use: { status: 409, message: 'The role is granted by the configuration; change the configuration first' },
  /** 409 — a revoked or expired API key cannot be rerolled. */
  api_key_inactive: { status: 409, message: 'A revoked or expired key cannot be rerolled' },
  /** 409 — the signing keys come from configuration or do not exist (HS256): nothing to rotate here. */
  signing_keys_not_rotatable: { status: 409, message: 'Signing keys cannot be rotated here' },
  /** 409 — an organization keeps at least one owner: its last one cannot leave, be removed or be demoted. */
  last_owner: { status: 409, message: 'An organization keeps at least one owner' },
  /** 409 — something changed meanwhile (a concurrent write, a removed reference): retry. */
  concurrent_change: { status: 409, message: 'A concurrent change conflicted with this one; retry' },
  /** 400 — a domain claim's DNS TXT record is missing or does not hold the claim's token; the message says which. */
  domain_not_verified: { status: 400, message: 'The domain could not be verified' },
  /** 409 — the domain is verified by another organization: a domain is verified by one at most. */
  domain_taken: { status: 409, message: 'The domain is verified by another organization' },

  // Limits and outages
  /** 429 — too many requests or failures; `Retry-After` says when to come back. */
  rate_limited: { status: 429, message: 'Too many requests' },
  /** 503 — the database or Redis is away. */
  service_unavailable: { status: 503, message: 'The service is temporarily unavailable' },
  /** 503 — authentication could not be decided (a store or verifier failed). */
  authentication_unavailable: { status: 503, message: 'Authentication is temporarily unavailable' },
  /** 503 — the rate-limit counters cannot be read: refused, fail closed. */
  rate_limiting_unavailable: { status: 503, message: 'Rate limiting is temporarily unavailable' },
  /** 503 — every password-hashing slot is busy; `Retry-After` says when (SEC-102). */
  password_checks_busy: { status: 503, message: 'Too many password checks at once; retry later' },
  /** 503 — the client closed the request before its queued password check ran. */
  client_gone: { status: 503, message: 'The client closed the request' },
  /** 503 — a trusted token issuer or identity provider cannot be reached or is misconfigured. */
  issuer_unavailable: { status: 503, message: 'The token issuer cannot be reached' },

  // The token endpoint (RFC 6749 §5.2: the code is the body's `error`)
  /** 400 — RFC 6749 `invalid_grant`: a wrong password, refresh token, MFA token or code. */
  invalid_grant: { status: 400, message: 'Invalid grant' },
  /** 401 — RFC 6749 `invalid_client`: client authentication failed. */
  invalid_client: { status: 401, message: 'Invalid client' },
  /** 400 — RFC 6749 `invalid_scope`: a scope beyond the client's. */
  invalid_scope: { status: 400, message: 'Invalid scope' },
  /** 400 — RFC 6749 `unsupported_grant_type`. */
  unsupported_grant_type: { status: 400, message: 'Unsupported grant type' },
  /** 400 — RFC 6749 `unauthorized_client`. */
  unauthorized_client: { status: 400, message: 'Unauthorized client' },
  /** 503 — RFC 6749 `temporarily_unavailable` (429 when throttled). */
  temporarily_unavailable: { status: 503, message: 'Temporarily unavailable' },
  /** 500 — RFC 6749 `server_error`: our bug, logged. */
  server_error: { status: 500, message: 'The server could not process the request' },

  // Single sign-on (the browser gets an SSO error code; see `SSO_ERROR_CODES`)
  /** 400 — a refused OIDC login; its status and message come from its reason (400, 401, 403, 404, 409, 502 or 503). */
  sso_login_failed: { status: 400, message: 'Single sign-on failed' },

  // Internal: never an answer of their own (500 if one ever escapes)
  /** 500 — the options or the YAML configuration are invalid: startup stops. */
  invalid_configuration: { status: 500, message: 'Internal server error' },
  /** 500 — startup refused for a reason an operator fixes (a database down or missing). */
  startup_refused: { status: 500, message: 'Internal server error' },
  /** 500 — an account with the system admin's name exists and is not the admin: seeding refused. */
  system_admin_conflict: { status: 500, message: 'Internal server error' },
  /** 500 — a command-line refusal, printed as one line. */
  cli_refused: { status: 500, message: 'Internal server error' },
  /** 500 — Redis is unreachable or not answering (answered as 503 `service_unavailable` at the edge). */
  redis_unavailable: { status: 500, message: 'Internal server error' },
  /** 500 — a remote key set (JWKS) could not be read (answered as 503 `issuer_unavailable`). */
  key_set_unavailable: { status: 500, message: 'Internal server error' },
  /** 500 — another party's answer was larger than the library reads (answered as that party being unreachable). */
  remote_answer_too_large: { status: 500, message: 'Internal server error' },
  /** 500 — an identity provider is unreachable (answered through `sso_login_failed`). */
  identity_provider_unreachable: { status: 500, message: 'Internal server error' },
  /** 500 — role names that do not exist (answered as 400, 404 or 409 by the caller). */
  unknown_roles: { status: 500, message: 'Internal server error' },
  /** 500 — a password the policy refuses (answered as 400 `invalid_request` by the caller). */
  password_policy: { status: 500, message: 'Internal server error' },
  /** 500 — a back-channel logout token that is not valid (answered as RFC 6749 `invalid_request`). */
  invalid_logout_token: { status: 500, message: 'Internal server error' },
  /** 500 — a second factor is due and no MFA feature is mounted (the token endpoint answers it as RFC 6749 400 `mfa_unavailable`). */
  mfa_unavailable: { status: 500, message: 'Internal server error' },
  /** 500 — a credential refused inside the authenticator (answered as one generic 401, 403 or 429 by the guard). */
  credential_refused: { status: 500, message: 'Internal server error' },
} as const satisfies Record<string, FabricErrorCodeEntry>;

/** @publicApi A stable error code of the library (`FABRIC_ERROR_CODES` lists them all). */
export type FabricErrorCode = keyof typeof FABRIC_ERROR_CATALOG;

/** @publicApi Every code the library throws with, in catalog order. */
export const FABRIC_ERROR_CODES: readonly FabricErrorCode[] = Object.freeze(Object.keys(FABRIC_ERROR_CATALOG) as FabricErrorCode[]);

/** @publicApi The HTTP status of a code (500 for an internal one). */
export function fabricErrorStatus(code: FabricErrorCode): number {
  return FABRIC_ERROR_CATALOG[code].status;
}

/** @publicApi How a `FabricError` is made: the logged detail, the cause, a protocol's own status. */
export interface FabricErrorOptions {
  /** For the log only, never sent: why, in words a client must not see (expired, revoked, a driver's text). */
  detail?: string;
  cause?: unknown;
  /**
   * A status other than the code's: only for the protocol errors whose status the protocol
   * sets per case (RFC 6749 `invalid_client` 401 / `invalid_request` 403, an OIDC refusal's reason).
   */
  status?: number;
}

/**
 * @publicApi The base of every error the library throws. `code` is stable (`FabricErrorCode`);
 * `message` is what the client may read (the body's `message`); `detail` is for the log only.
 * It is an `HttpException`, so Nest answers it in the usual `{statusCode, message, error}` shape
 * even without `FabricExceptionFilter`; internal codes (status 500) answer Nest's generic 500.
 */
export class FabricError extends HttpException {
  readonly code: FabricErrorCode;
  readonly detail: string | undefined;
  /** An internal error (status 500): not an answer for the client, logged where it surfaces. */
  readonly internal: boolean;

  constructor(code: FabricErrorCode, message?: string | string[], options: FabricErrorOptions = {}) {
    const entry: FabricErrorCodeEntry = FABRIC_ERROR_CATALOG[code];
    const status = options.status ?? entry.status;
    const internal = status === 500 && options.status === undefined;
    const text = message ?? entry.message;
    const body = internal
      ? { statusCode: 500, message: 'Internal server error' }
      : { message: text, error: entry.codeAsError ? code : (STATUS_CODES[status] ?? 'Error'), statusCode: status };
    super(body, status, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = options.detail;
    this.internal = internal;
    // The thrower's words stay the Error's message (logs, stack traces), also for internal codes.
    this.message = Array.isArray(text) ? text.join('; ') : text;
  }
}

/** Shorthand: `throw fabricError('user_not_found')`. */
export function fabricError(code: FabricErrorCode, message?: string | string[], options?: FabricErrorOptions): FabricError {
  return new FabricError(code, message, options);
}

/** An answer for the client: an `HttpException`, but not an internal `FabricError`. */
export function isHttpAnswer(error: unknown): error is HttpException {
  return error instanceof HttpException && !(error instanceof FabricError && error.internal);
}
