import { describe, expect, it } from 'vitest';
import { API, startTestApp } from '../support/test-app.js';

const METADATA = (certificate: string) =>
  '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
  `${certificate ? `<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>${certificate}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>` : ''}` +
  '<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/></IDPSSODescriptor></EntityDescriptor>';
const connection = (certificate = 'MIIB') => ({ providers: { corp: { type: 'saml' as const, idpMetadata: METADATA(certificate) } } });
const WITHOUT_SAML = ['login', 'users', 'mfa', 'roles', 'audit', 'apiKeys', 'serviceAccounts', 'oidc', 'signingKeys', 'maintenance'] as const;

// SAML is opt-in: a connection in auth.providers loads it (its XML stack costs other apps
// nothing); forRootAsync reads its options too late to mount routes, so there the feature is
// named in `features` as well, and startup refuses the two disagreeing.
describe('the saml feature follows auth.providers', () => {
  it('no SAML connection: no /auth/saml route', async () => {
    const t = await startTestApp('sqlite/express', { registration: 'sync' });
    try {
      expect((await t.http.get(`${API}/auth/saml/corp/metadata`)).status).toBe(404);
    } finally {
      await t.close();
    }
  });

  it('a SAML connection with forRoot: loaded by the option alone; an unknown connection is a 404', async () => {
    const t = await startTestApp('sqlite/express', { registration: 'sync', options: connection() });
    try {
      expect((await t.http.get(`${API}/auth/saml/corp/metadata`)).status).toBe(200);
      expect((await t.http.get(`${API}/auth/saml/other/login`)).status).toBe(404);
    } finally {
      await t.close();
    }
  });

  it('a SAML connection with forRootAsync but not in features: startup says to name it', async () => {
    await expect(startTestApp('sqlite', { options: connection(), features: WITHOUT_SAML })).rejects.toThrow(
      /auth\.providers: names a connection with type: saml \(or auth\.organizations\.sso_connections is true\), but the saml feature is not loaded; add "saml" to features/,
    );
  });

  it('in features without a SAML connection: startup refuses', async () => {
    await expect(startTestApp('sqlite', { features: ['login', 'saml'] })).rejects.toThrow(
      /features: loads saml, but auth\.providers names no connection with type: saml \(and auth\.organizations\.sso_connections is not true\); turn it on, or leave saml out/,
    );
  });

  it('inline IdP metadata without a signing certificate stops startup, naming the key', async () => {
    await expect(startTestApp('sqlite', { options: connection('') })).rejects.toThrow(/auth\.providers\.corp\.idp_metadata: no signing certificate/);
  });
});
