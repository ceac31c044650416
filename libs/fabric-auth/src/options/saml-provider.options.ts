/** A SAML 2.0 connection: an entry of `auth.providers` with `type: saml` (SPEC §16). */

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { Field, type FieldContext, INVALID, Problem } from './option-field.js';
import { bool, oneOf, roleMapping, roleNamesProblem, text, url } from './option-rules.js';

/** The largest `idp_metadata` accepted inline, in characters (a federation aggregate belongs behind a URL). */
const MAX_INLINE_METADATA = 256 * 1024;

function inlineMetadataProblem(xml: string): string | undefined {
  if (xml.length > MAX_INLINE_METADATA) return `must be at most ${MAX_INLINE_METADATA} characters`;
  if (!xml.trimStart().startsWith('<')) return 'must be the IdP metadata XML (an EntityDescriptor)';
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return 'must not contain a DOCTYPE or entity declarations';
  return xml.includes('EntityDescriptor') ? undefined : 'must be the IdP metadata XML (an EntityDescriptor)';
}

const PEM_KEY = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** A PEM private key, optionally followed by its certificate, as its two parts (`decryption_key`, `signing_key`). */
export function spKeyParts(pem: string): { privateKey: string; certificate: string | null } {
  return { privateKey: PEM_KEY.exec(pem)?.[0] ?? pem, certificate: PEM_CERTIFICATE.exec(pem)?.[0] ?? null };
}

/**
 * An SP key: an RSA private key PEM followed by its certificate, which the SP metadata publishes
 * (required for `signing_key`: the IdP checks the signatures with it; optional for
 * `decryption_key`: without it the IdP is given the encryption certificate another way).
 */
function spKeyProblem(use: 'decrypts assertions' | 'signs requests', certificateRequired: boolean) {
  return (pem: string): string | undefined => {
    const key = PEM_KEY.exec(pem)?.[0];
    const then = certificateRequired ? 'followed by its certificate' : 'optionally followed by its certificate';
    if (!key) return `must be a PEM private key (-----BEGIN PRIVATE KEY-----), ${then}`;
    let privateKey;
    try {
      privateKey = createPrivateKey(key);
    } catch {
      return 'is not a readable private key (an encrypted key is not supported)';
    }
    if (privateKey.asymmetricKeyType !== 'rsa') return `must be an RSA key (the key that ${use})`;
    const certificate = PEM_CERTIFICATE.exec(pem)?.[0];
    if (certificate === undefined) return certificateRequired ? `must be followed by its certificate (the SP metadata publishes it)` : undefined;
    try {
      if (!new X509Certificate(certificate).checkPrivateKey(privateKey)) return 'the certificate is not that of the private key';
    } catch {
      return 'the certificate after the key is not a readable X.509 certificate';
    }
    return undefined;
  };
}

/** @publicApi */
export class SamlProviderOptions {
  /** `saml`: this entry is a SAML 2.0 connection served under `/auth/saml/<name>/…`. */
  @Field('type', 'string', oneOf(['saml'], 'must be "saml"'), { required: true })
  type!: 'saml';

  /**
   * URL of the IdP's SAML metadata (entity id, single sign-on URL, signing certificates),
   * read on the first login and again every hour, and at once (at most every minute) when a
   * response's signature matches none of the certificates held: a certificate rollover at the
   * IdP needs no restart. https, or http on a loopback host. Give this or `idp_metadata`.
   */
  @Field('idp_metadata_url', 'string', url)
  idpMetadataUrl?: string;

  /** The IdP's SAML metadata XML itself (an `EntityDescriptor`). Give this or `idp_metadata_url`. */
  @Field('idp_metadata', 'string', text(inlineMetadataProblem))
  idpMetadata?: string;

  /** This service provider's entity id, the `Audience` the IdP must name. Default: the SP metadata URL (`…/auth/saml/<name>/metadata`). */
  @Field('sp_entity_id', 'string', text((s) => (s.length > 1024 ? 'must be at most 1024 characters' : undefined)))
  spEntityId?: string;

  /** Accept responses no login of this browser asked for (IdP-initiated sign-in; no login-CSRF protection). Default false. */
  @Field('allow_idp_initiated', 'bool', bool)
  allowIdpInitiated?: boolean = false;

  /**
   * The assertion itself must be signed (the IdP's "sign assertion"). When false, a signature
   * on the whole response is enough. One of the two is always required. Default true.
   */
  @Field('want_assertions_signed', 'bool', bool)
  wantAssertionsSigned?: boolean = true;

  /** Accept signatures and digests made with SHA-1 (legacy IdPs only). Default false. */
  @Field('allow_sha1', 'bool', bool)
  allowSha1?: boolean = false;

  /**
   * PEM RSA private key that decrypts encrypted assertions, optionally followed by its
   * certificate, which the SP metadata then publishes for the IdP to encrypt to. Default none
   * (an encrypted assertion is refused).
   */
  @Field('decryption_key', 'string', text(spKeyProblem('decrypts assertions', false)))
  decryptionKey?: string;

  /**
   * PEM RSA private key followed by its certificate: AuthnRequests and LogoutRequests are then
   * signed (HTTP-Redirect binding, RSA-SHA256) and the SP metadata says `AuthnRequestsSigned="true"`
   * with the certificate as its signing key, for IdPs that require signed requests. Default none
   * (requests unsigned).
   */
  @Field('signing_key', 'string', text(spKeyProblem('signs requests', true)))
  signingKey?: string;

  /** Create unknown users on their first login. Default false. */
  @Field('jit_provisioning', 'bool', bool)
  jitProvisioning?: boolean = false;

  /** Roles given to users created by JIT provisioning. Default none. */
  @Field('default_roles', 'list', (raw) => {
    const problem = roleNamesProblem(raw);
    return problem ? new Problem(problem) : raw;
  })
  defaultRoles?: string[] = [];

  /** Link an unknown identity to the local account with the same verified email. Default false. */
  @Field('link_verified_email', 'bool', bool)
  linkVerifiedEmail?: boolean = false;

  /** Name of the attribute whose values `role_mapping` maps to roles (e.g. `groups`, or a claim URI as Entra ID sends). */
  @Field('role_claim', 'string', text((s) => (s.length > 512 ? 'must be at most 512 characters' : undefined)))
  roleClaim?: string;

  /** Attribute value → role names, re-applied at every login. Default none. Needs `role_claim`. */
  @Field('role_mapping', 'mapping', (raw, { at, problems, siblings }: FieldContext) => {
    const mapping = roleMapping(raw);
    if (!(mapping instanceof Problem) && Object.keys(mapping).length > 0 && siblings.roleClaim === undefined) {
      problems.push(`${at}: needs role_claim (the attribute whose values it maps)`);
      return INVALID;
    }
    return mapping;
  })
  roleMapping?: Record<string, string[]> = {};
}

type OptionalSamlKeys = 'idpMetadataUrl' | 'idpMetadata' | 'spEntityId' | 'decryptionKey' | 'signingKey' | 'roleClaim';
export type ResolvedSamlProviderOptions = Required<Omit<SamlProviderOptions, OptionalSamlKeys>> & Pick<SamlProviderOptions, OptionalSamlKeys>;

/** Exactly one source of IdP metadata. */
export function samlConnectionProblems(read: Record<string, unknown>, at: string): string[] {
  const given = ['idpMetadataUrl', 'idpMetadata'].filter((k) => read[k] !== undefined).length;
  if (given === 1) return [];
  return [given === 0 ? `${at}: needs idp_metadata_url or idp_metadata` : `${at}: give idp_metadata_url or idp_metadata, not both`];
}
