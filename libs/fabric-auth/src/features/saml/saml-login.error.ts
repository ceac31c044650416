import { FabricError } from '../../core/fabric-error.js';
import type { ExternalSignInRefusal } from '../../core/ports/sign-in-provider.js';
import { SHARED_SSO_ANSWERS, type SsoAnswer, type SsoErrorCode, SsoLoginRefusal } from '../../http/sso-error-page.js';

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

const REFUSED = 'The identity provider returned an invalid SAML response';

const ANSWERS: Record<SamlFailureReason, SsoAnswer> = {
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
  ...SHARED_SSO_ANSWERS,
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
