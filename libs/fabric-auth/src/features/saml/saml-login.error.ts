import { FabricError } from '../../core/fabric-error.js';
import type { ExternalSignInRefusal } from '../../core/ports/sign-in-provider.js';
import { type SsoErrorCode, SsoLoginRefusal } from '../../http/sso-error-page.js';

/** Why a SAML login failed: the `reason` of its `saml.login.failure` audit event. */
export type SamlFailureReason =
  | 'unknown_connection'
  | 'response_too_large'
  | 'malformed_response'
  | 'xml_refused'
  | 'signature_wrapping'
  | 'invalid_signature'
  | 'weak_algorithm'
  | 'decryption_failed'
  | 'wrong_destination'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_recipient'
  | 'not_yet_valid'
  | 'expired'
  | 'invalid_assertion'
  | 'idp_error'
  | 'state_missing'
  | 'state_mismatch'
  | 'state_expired'
  | 'state_replayed'
  | 'unsolicited_response'
  | 'assertion_replayed'
  | 'metadata_unavailable'
  | 'bad_parameter'
  | 'internal_error'
  | ExternalSignInRefusal;

type Status = 400 | 401 | 403 | 404 | 409 | 413 | 502 | 503;

const REFUSED = 'The identity provider returned an invalid SAML response';

const ANSWERS: Record<SamlFailureReason, { status: Status; message: string; code: SsoErrorCode | null }> = {
  unknown_connection: { status: 404, message: 'Unknown SAML connection', code: null },
  response_too_large: { status: 413, message: 'The SAML response is too large', code: 'invalid_request' },
  malformed_response: { status: 400, message: 'Malformed SAML response', code: 'invalid_request' },
  xml_refused: { status: 400, message: REFUSED, code: 'login_failed' },
  signature_wrapping: { status: 400, message: REFUSED, code: 'login_failed' },
  invalid_signature: { status: 400, message: REFUSED, code: 'login_failed' },
  weak_algorithm: { status: 400, message: REFUSED, code: 'login_failed' },
  decryption_failed: { status: 400, message: REFUSED, code: 'login_failed' },
  wrong_destination: { status: 400, message: REFUSED, code: 'login_failed' },
  wrong_issuer: { status: 400, message: REFUSED, code: 'login_failed' },
  wrong_audience: { status: 400, message: REFUSED, code: 'login_failed' },
  wrong_recipient: { status: 400, message: REFUSED, code: 'login_failed' },
  not_yet_valid: { status: 400, message: REFUSED, code: 'login_failed' },
  expired: { status: 400, message: REFUSED, code: 'login_failed' },
  invalid_assertion: { status: 400, message: REFUSED, code: 'login_failed' },
  idp_error: { status: 400, message: 'The identity provider did not authorise the login', code: 'access_denied' },
  state_missing: { status: 400, message: 'No login in progress in this browser; start the login again', code: 'invalid_state' },
  state_mismatch: { status: 400, message: 'The response does not belong to a login in progress in this browser', code: 'invalid_state' },
  state_expired: { status: 400, message: 'The login took too long; start it again', code: 'invalid_state' },
  state_replayed: { status: 400, message: 'This login response was already used', code: 'invalid_state' },
  unsolicited_response: { status: 400, message: 'Sign-in started at the identity provider is not allowed here; start it from this site', code: 'invalid_state' },
  assertion_replayed: { status: 400, message: 'This login response was already used', code: 'invalid_state' },
  metadata_unavailable: { status: 502, message: "The identity provider's SAML metadata could not be loaded", code: 'provider_unavailable' },
  bad_parameter: { status: 400, message: 'Invalid login parameter', code: 'invalid_request' },
  internal_error: { status: 503, message: 'Single sign-on is temporarily unavailable', code: 'provider_unavailable' },
  no_linked_account: { status: 403, message: 'No account is linked to this identity', code: 'no_account' },
  account_inactive: { status: 403, message: 'This account is deactivated', code: 'account_disabled' },
  account_exists: { status: 409, message: 'An account with this email already exists; sign in to it and link this identity', code: 'account_exists' },
  identity_in_use: { status: 409, message: 'This identity is already linked to another account', code: 'identity_in_use' },
  link_session_ended: { status: 401, message: 'Sign in again before linking an identity', code: 'not_signed_in' },
  second_factor_unavailable: { status: 403, message: 'This account needs a second factor, which this server does not offer', code: 'login_failed' },
};

/**
 * A refused SAML login. `reason` is the stable code for the audit log; `detail` is for the
 * server log only and never holds the response, an assertion or a key.
 */
export class SamlLoginFailure extends FabricError {
  constructor(
    readonly reason: SamlFailureReason,
    detail?: string,
    /** The local account concerned, once known (for the audit event's actor). */
    readonly user?: { id: string; username: string },
  ) {
    super('sso_login_failed', ANSWERS[reason].message, { status: ANSWERS[reason].status, detail });
    this.message = detail ? `${reason}: ${detail}` : reason;
  }

  /** The code for the person's error page (the same codes as OIDC's). */
  get ssoError(): SsoErrorCode | null {
    return ANSWERS[this.reason].code;
  }

  toHttpException(): SsoLoginRefusal {
    const { status, message, code } = ANSWERS[this.reason];
    return new SsoLoginRefusal(status, message, code);
  }
}
