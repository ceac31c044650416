import type { SamlConfig } from '@node-saml/node-saml';
import { type ResolvedSamlProviderOptions, spKeyParts } from '../../options/saml-provider.options.js';

/**
 * What node-saml needs to sign a connection's AuthnRequests and LogoutRequests (HTTP-Redirect:
 * `SigAlg` and `Signature` beside `SAMLRequest`, RSA-SHA256), when it has a `signing_key`; nothing
 * otherwise (requests go unsigned, as most IdPs accept).
 */
export function requestSigning(options: Pick<ResolvedSamlProviderOptions, 'signingKey'>): Pick<SamlConfig, 'privateKey' | 'signatureAlgorithm'> {
  if (!options.signingKey) return {};
  return { privateKey: spKeyParts(options.signingKey).privateKey, signatureAlgorithm: 'sha256' };
}

/** What the SP metadata publishes for the IdP to check signed requests with: `AuthnRequestsSigned="true"` and the signing certificate. */
export function signingMetadata(options: Pick<ResolvedSamlProviderOptions, 'signingKey'>): { privateKey?: string; publicCerts?: string } {
  if (!options.signingKey) return {};
  const { privateKey, certificate } = spKeyParts(options.signingKey);
  return { privateKey, publicCerts: certificate! };
}
