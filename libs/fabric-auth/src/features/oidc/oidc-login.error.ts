import { FabricError } from '../../core/fabric-error.js';
import { SHARED_SSO_ANSWERS, type SsoAnswer, type SsoErrorCode, SsoLoginRefusal } from '../../http/sso-error-page.js';

/** Why an OIDC login failed: the `reason` of its `oidc.login.failure` audit event. */
export type OidcFailureReason =
  | 'unknown_provider'
  | 'state_missing'
  | 'state_invalid'
  | 'state_expired'
  | 'state_mismatch'
  | 'state_replayed'
  | 'provider_mismatch'
  | 'issuer_mismatch'
  | 'bad_callback'
  | 'idp_error'
  | 'discovery_failed'
  | 'idp_unreachable'
  | 'code_rejected'
  | 'invalid_id_token'
  | 'userinfo_invalid'
  | 'groups_overage'
  | 'no_linked_account'
  | 'account_inactive'
  | 'account_exists'
  | 'identity_in_use'
  | 'link_session_ended'
  | 'second_factor_unavailable'
  | 'bad_parameter'
  | 'internal_error';

/** IdP errors (OIDC Core §3.1.2.6) that mean "sign in at the provider first", as `prompt=none` answers. */
const LOGIN_REQUIRED_IDP_ERRORS = new Set(['login_required', 'interaction_required', 'consent_required', 'account_selection_required']);

const ANSWERS: Record<OidcFailureReason, SsoAnswer> = {
  unknown_provider: { status: 404, message: 'Unknown identity provider', code: null },
  state_missing: { status: 400, message: 'No login in progress in this browser; start the login again', code: 'invalid_state' },
  state_invalid: { status: 400, message: 'Invalid login state; start the login again', code: 'invalid_state' },
  state_expired: { status: 400, message: 'The login took too long; start it again', code: 'invalid_state' },
  state_mismatch: { status: 400, message: 'The callback does not belong to the login in progress in this browser', code: 'invalid_state' },
  state_replayed: { status: 400, message: 'This login callback was already used', code: 'invalid_state' },
  provider_mismatch: { status: 400, message: 'The login in progress was started with another identity provider', code: 'invalid_state' },
  issuer_mismatch: { status: 400, message: 'The callback comes from another issuer than the identity provider', code: 'invalid_state' },
  bad_callback: { status: 400, message: 'Malformed login callback', code: 'invalid_state' },
  idp_error: { status: 400, message: 'The identity provider did not authorise the login', code: 'access_denied' },
  discovery_failed: { status: 502, message: "The identity provider's configuration could not be loaded", code: 'provider_unavailable' },
  idp_unreachable: { status: 502, message: 'The identity provider could not be reached', code: 'provider_unavailable' },
  code_rejected: { status: 400, message: 'The identity provider rejected the authorization code', code: 'login_failed' },
  invalid_id_token: { status: 400, message: 'The identity provider returned an invalid ID token', code: 'login_failed' },
  userinfo_invalid: { status: 400, message: 'The identity provider returned inconsistent user information', code: 'login_failed' },
  groups_overage: {
    status: 403,
    message: 'The identity provider left the group claim out of the login (groups overage); roles cannot be mapped',
    code: 'groups_overage',
  },
  ...SHARED_SSO_ANSWERS,
};

/**
 * A refused OIDC login. `reason` is the stable code for the audit log; `detail` is for the
 * server log only and must never hold a token, code or secret.
 */
export class OidcLoginFailure extends FabricError {
  constructor(
    readonly reason: OidcFailureReason,
    detail?: string,
    /** The local account concerned, once known (for the audit event's actor). */
    readonly user?: { id: string; username: string },
  ) {
    // Answered as its reason's fixed message if it ever reaches the edge as it is; the detail stays in the log.
    super('sso_login_failed', ANSWERS[reason].message, { status: ANSWERS[reason].status, detail });
    this.message = detail ? `${reason}: ${detail}` : reason;
  }

  /** The code for the person's error page. */
  get ssoError(): SsoErrorCode | null {
    if (this.reason === 'idp_error' && this.detail !== 'access_denied') {
      return this.detail !== undefined && LOGIN_REQUIRED_IDP_ERRORS.has(this.detail) ? 'login_required' : 'login_failed';
    }
    return ANSWERS[this.reason].code;
  }

  toHttpException(): SsoLoginRefusal {
    const { status, message } = ANSWERS[this.reason];
    return new SsoLoginRefusal(status, message, this.ssoError);
  }
}
