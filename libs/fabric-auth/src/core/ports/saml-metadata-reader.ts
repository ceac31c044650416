/** What an IdP's SAML metadata says, as far as a connection's test reports it. */
export interface SamlMetadataSummary {
  entityId: string;
  ssoUrl: string;
  sloUrl: string | null;
  certificates: number;
}

/**
 * Port through which the organizations feature checks the IdP metadata of an organization's SAML
 * connection without knowing XML: the saml feature reads it as a login would. `read` throws an
 * Error whose message says what is wrong.
 */
export interface SamlMetadataReader {
  readonly available: boolean;
  read(xml: string): SamlMetadataSummary;
}

export const SamlMetadataReader = Symbol('SamlMetadataReader');

/** The core's default, without the saml feature: no SAML connection can be checked (or used). */
export class NoSamlMetadataReader implements SamlMetadataReader {
  readonly available = false;

  read(): SamlMetadataSummary {
    throw new Error('SAML is not enabled on this server');
  }
}
