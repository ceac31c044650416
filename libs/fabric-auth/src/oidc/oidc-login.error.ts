import {
  BadGatewayException,
  BadRequestException,
  ForbiddenException,
  type HttpException,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';

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
  | 'no_linked_account'
  | 'account_inactive'
  | 'internal_error';

const ANSWERS: Record<OidcFailureReason, { status: 400 | 403 | 404 | 502 | 503; message: string }> = {
  unknown_provider: { status: 404, message: 'Unknown identity provider' },
  state_missing: { status: 400, message: 'No login in progress in this browser; start the login again' },
  state_invalid: { status: 400, message: 'Invalid login state; start the login again' },
  state_expired: { status: 400, message: 'The login took too long; start it again' },
  state_mismatch: { status: 400, message: 'The callback does not belong to the login in progress in this browser' },
  state_replayed: { status: 400, message: 'This login callback was already used' },
  provider_mismatch: { status: 400, message: 'The login in progress was started with another identity provider' },
  issuer_mismatch: { status: 400, message: 'The callback comes from another issuer than the identity provider' },
  bad_callback: { status: 400, message: 'Malformed login callback' },
  idp_error: { status: 400, message: 'The identity provider did not authorise the login' },
  discovery_failed: { status: 502, message: "The identity provider's configuration could not be loaded" },
  idp_unreachable: { status: 502, message: 'The identity provider could not be reached' },
  code_rejected: { status: 400, message: 'The identity provider rejected the authorization code' },
  invalid_id_token: { status: 400, message: 'The identity provider returned an invalid ID token' },
  userinfo_invalid: { status: 400, message: 'The identity provider returned inconsistent user information' },
  no_linked_account: { status: 403, message: 'No account is linked to this identity' },
  account_inactive: { status: 403, message: 'This account is deactivated' },
  internal_error: { status: 503, message: 'Single sign-on is temporarily unavailable' },
};

/**
 * A refused OIDC login. `reason` is the stable code for the audit log; `detail` is for the
 * server log only and must never hold a token, code or secret.
 */
export class OidcLoginFailure extends Error {
  constructor(
    readonly reason: OidcFailureReason,
    readonly detail?: string,
    /** The local account concerned, once known (for the audit event's actor). */
    readonly user?: { id: string; username: string },
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = 'OidcLoginFailure';
  }

  get status(): number {
    return ANSWERS[this.reason].status;
  }

  /** The client's answer: Nest's error shape, one fixed message per reason (nothing reflected). */
  toHttpException(): HttpException {
    const { status, message } = ANSWERS[this.reason];
    switch (status) {
      case 400:
        return new BadRequestException(message);
      case 403:
        return new ForbiddenException(message);
      case 404:
        return new NotFoundException(message);
      case 502:
        return new BadGatewayException(message);
      case 503:
        return new ServiceUnavailableException(message);
    }
  }
}
