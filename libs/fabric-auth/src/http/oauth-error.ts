import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { httpErrorForDatabase } from '../data/db-errors.js';
import { setResponseHeader } from '../core/request-info.js';
import { SecondFactorUnavailable } from '../core/ports/second-factor.js';
import { FabricError, fabricErrorStatus } from '../core/fabric-error.js';
import { ClientGoneException, PasswordChecksBusyException } from '../access/passwords/password-hasher.js';
import { ApiProperty, ApiPropertyOptional } from '../core/open-api.js';

const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_grant',
  'unsupported_grant_type',
  'invalid_client',
  'invalid_scope',
  'unauthorized_client',
  'temporarily_unavailable',
  'server_error',
  'mfa_required',
  'mfa_unavailable',
  'action_refused',
] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

/**
 * The body `OAuthErrorFilter` answers, for every error of a route it filters (4xx and 5xx alike):
 * each such route documents its errors (one at least) with this type, not `ErrorResponseDto`, and
 * `withFabricAuthSecurity` gives it to the route's other error answers. It lives in the HTTP edge,
 * beside the filter, because routes of several features (login's token endpoint, the OIDC
 * back-channel logout) answer it.
 */
export class OAuthErrorDto {
  @ApiProperty({
    enum: OAUTH_ERROR_CODES,
    description: 'RFC 6749 §5.2 error code, or an extension of this library (mfa_required, mfa_unavailable, action_refused)',
    example: 'invalid_grant',
  })
  error!: OAuthErrorCode;
  @ApiProperty({ description: 'What was wrong, for a developer', example: 'Invalid username or password' }) error_description!: string;
  @ApiPropertyOptional({
    description: 'mfa_required after a password: the token of the second step (grant_type=mfa_otp, mfa_recovery_code, or a passkey)',
    example: 'mfa.3f1c2a9e.kQ3vN8xZ2mR5tW9y',
  })
  mfa_token?: string;
  @ApiPropertyOptional({ type: [String], description: 'mfa_required after a password: the second factors the user may answer with', example: ['totp', 'recovery_code'] })
  factors?: string[];
  @ApiPropertyOptional({ description: 'mfa_required after a password: seconds until mfa_token expires', example: 300 })
  expires_in?: number;
}

/**
 * An RFC 6749 §5.2 error of the token endpoint: its `code` is the body's `error` and a
 * `FabricErrorCode` too. The status is the code's (400; 401 for `invalid_client`) unless the
 * case sets another (429 throttled, 403 a cross-site cookie request, 400 `mfa_required`).
 */
export class OAuthError extends FabricError {
  declare readonly code: OAuthErrorCode;

  constructor(
    code: OAuthErrorCode,
    readonly description: string,
    status = code === 'mfa_required' ? 400 : fabricErrorStatus(code),
    /** Fields answered beside `error` (the MFA step's `mfa_token` and `factors`); never for client errors that echo input. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(code, description, { status });
  }
}

interface ReplyLike {
  status(code: number): ReplyLike;
  send?(body: unknown): unknown;
  json?(body: unknown): unknown;
}

/**
 * Answers a route's errors in RFC 6749 shape (`OAuthErrorDto`), uncacheable: the token endpoint,
 * revocation, the passkey sign-in steps and the OIDC back-channel logout endpoints.
 */
@Catch()
export class OAuthErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('FabricAuth');

  catch(caught: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<ReplyLike>();
    const exception = httpErrorForDatabase(caught) ?? caught;
    let error: OAuthError;
    if (exception instanceof OAuthError) error = exception;
    // The app's before-login hook refused (an extension error code, RFC 6749 §8.5): its reason is for the user.
    else if (exception instanceof FabricError && exception.code === 'action_refused') error = new OAuthError('action_refused', exception.message, 403);
    // A second factor is due (or was sent) and this server offers none: the MFA feature is not mounted.
    else if (exception instanceof SecondFactorUnavailable) error = new OAuthError('mfa_unavailable', exception.message, 400);
    else if (exception instanceof HttpException && exception.getStatus() === 429) {
      error = new OAuthError('temporarily_unavailable', exception.message, 429);
    } else if (exception instanceof HttpException && exception.getStatus() < 500) {
      error = new OAuthError('invalid_request', exception.message, exception.getStatus());
    } else if (exception instanceof PasswordChecksBusyException || exception instanceof ClientGoneException) {
      // Load shed on purpose (SEC-102): an answer, not a failure to log.
      error = new OAuthError('temporarily_unavailable', exception.message, 503);
    } else if (exception instanceof HttpException && exception.getStatus() === 503) {
      error = new OAuthError('temporarily_unavailable', exception.message, 503);
    } else {
      // Only an outage is a 503 (SEC-116): anything else unexpected is our bug, logged and answered as one.
      this.logger.error(`token endpoint failed: ${(exception as Error)?.stack ?? String(exception)}`);
      error = new OAuthError('server_error', 'The server could not process the request', 500);
    }
    setResponseHeader(response, 'Cache-Control', 'no-store');
    setResponseHeader(response, 'Pragma', 'no-cache');
    if (exception instanceof PasswordChecksBusyException) setResponseHeader(response, 'Retry-After', String(exception.retryAfterSeconds));
    // A shed login closes its connection: a client retrying at once must reconnect first, which
    // slows a tight retry loop that would otherwise keep the event loop busy with refusals (SEC-102).
    if (exception instanceof PasswordChecksBusyException) setResponseHeader(response, 'Connection', 'close');
    // RFC 6749 §5.2: a failed client authentication names the scheme to use.
    if (error.code === 'invalid_client' && error.getStatus() === 401) setResponseHeader(response, 'WWW-Authenticate', 'Basic realm="nestjs-fabric-auth"');
    const body = { error: error.code, error_description: error.description, ...error.extra };
    const replied = response.status(error.getStatus());
    if (typeof replied.json === 'function') replied.json(body);
    else replied.send?.(body);
  }
}
