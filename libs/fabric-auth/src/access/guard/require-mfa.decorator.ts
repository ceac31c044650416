import { SetMetadata } from '@nestjs/common';
import { FABRIC_ENROLMENT_ROUTE_KEY, FABRIC_REQUIRE_MFA_KEY } from '../../core/fabric-auth.constants.js';

/**
 * The route needs a session whose login used a second factor (`amr` holds `mfa`): else 403
 * `{"error": "mfa_required"}`. API keys never qualify; they carry no login.
 *
 * @publicApi
 */
export const RequireMfa = () => SetMetadata(FABRIC_REQUIRE_MFA_KEY, true);

/** A route a session limited to MFA enrolment (policy `auth.mfa.required_for`) may still call. */
export const AllowDuringMfaEnrolment = () => SetMetadata(FABRIC_ENROLMENT_ROUTE_KEY, true);
