import type { ResolvedWebAuthnOptions } from './fabric-auth.options.js';
import { isWebAuthnOrigin, ORIGINS_RULE, RP_ID_PATTERN, RP_ID_RULE } from './option-rules.js';

export interface RelyingParty {
  rpId: string;
  rpName: string;
  origins: string[];
}

/**
 * The relying party a ceremony uses: explicit `auth.webauthn` settings win (checked at startup);
 * unset, `rp_id` and `origins` derive from `auth.public_base_url`, else from `listeningBase`
 * (`http://localhost:<port>`, the server as it listens now). A derived value is held to the rule an
 * explicit one is: one a browser would refuse (`http://` on another host, an address as RP ID)
 * gives the reason instead, and passkeys are off rather than the app refusing to start.
 */
export function relyingPartyOf(webauthn: ResolvedWebAuthnOptions, publicBaseUrl: string | undefined, listeningBase: string): RelyingParty | { unavailable: string } {
  const base = new URL(publicBaseUrl ?? listeningBase);
  const from = publicBaseUrl ? 'auth.public_base_url' : 'the listening port';
  const rpId = webauthn.rpId ?? base.hostname;
  const origins = webauthn.origins ?? [base.origin];
  const refused: string[] = [];
  // The pattern itself, not the isRpId type guard: a string it refuses would narrow to `never`.
  if (!RP_ID_PATTERN.test(rpId)) refused.push(`auth.webauthn.rp_id "${rpId}" (from ${from}) ${RP_ID_RULE}`);
  if (!origins.every((origin) => isWebAuthnOrigin(origin))) refused.push(`auth.webauthn.origins ${origins.join(', ')} (from ${from}) ${ORIGINS_RULE}`);
  if (refused.length > 0) return { unavailable: `${refused.join('; ')}: set auth.public_base_url to an https URL, or auth.webauthn.rp_id and auth.webauthn.origins` };
  return { rpId, rpName: webauthn.rpName, origins };
}
