import { UserIdentityEntity } from 'nestjs-fabric-auth/entities';
import type { SamlProviderOptions } from 'nestjs-fabric-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchBrowser } from '../support/oidc/fetch-browser.js';
import { type SamlSide, startAppWithIdp } from '../support/saml/fixtures.js';
import { ASSERTION, EMAIL_FORMAT, PERSISTENT_FORMAT, type TestIdp } from '../support/saml/test-idp.js';
import { API, DATABASES, type TestApp } from '../support/test-app.js';

const UNSPECIFIED_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
const URI = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
const BASIC = 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic';
const UNSPECIFIED = 'urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified';
const CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const ENTRA_GROUPS = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups';
const ADFS_GROUP = 'http://schemas.xmlsoap.org/claims/Group';
const AUDITORS_OBJECT_ID = '6f1c2a9e-0d4b-4c55-9a39-2b8e7d1f0c11';

/** One attribute as the IdP writes it: its name, and the NameFormat, FriendlyName and value type it adds. */
interface ShapedAttribute {
  name: string;
  values: string[];
  nameFormat?: string;
  friendlyName?: string;
  /** Okta, ADFS and Keycloak type each value `xs:string`; Entra ID and Google do not. */
  typed?: boolean;
}

/**
 * What one real IdP sends, as recorded from its default or documented setup: the NameID,
 * the attribute statement, which element it signs, and the connection the README's guide for
 * it tells an operator to write.
 */
interface IdpShape {
  idp: string;
  nameId: (person: Person) => { value: string; format: string };
  attributes: (person: Person) => ShapedAttribute[];
  sign: 'assertion' | 'response' | 'both';
  connection: Partial<SamlProviderOptions>;
}

interface Person {
  login: string;
  email: string;
  objectId: string;
}

const SHAPES: IdpShape[] = [
  {
    // Okta: NameID "Email", attribute statements email/firstName/lastName and a group
    // attribute statement `groups`, all "Unspecified" name format; the assertion is signed.
    idp: 'Okta',
    nameId: (p) => ({ value: p.email, format: EMAIL_FORMAT }),
    attributes: (p) => [
      { name: 'email', values: [p.email], nameFormat: UNSPECIFIED, typed: true },
      { name: 'firstName', values: ['Ada'], nameFormat: UNSPECIFIED, typed: true },
      { name: 'lastName', values: ['Lovelace'], nameFormat: UNSPECIFIED, typed: true },
      { name: 'groups', values: ['Everyone', 'auditors'], nameFormat: UNSPECIFIED, typed: true },
    ],
    sign: 'assertion',
    connection: { roleClaim: 'groups', roleMapping: { auditors: ['auditor'] } },
  },
  {
    // Entra ID's default claims (name is the UPN, not a display name), the tenant and object
    // ids, groups as object ids; "Sign SAML response and assertion".
    idp: 'Microsoft Entra ID',
    nameId: (p) => ({ value: p.email, format: EMAIL_FORMAT }),
    attributes: (p) => [
      { name: 'http://schemas.microsoft.com/identity/claims/tenantid', values: ['0a3b5c7d-1e2f-4a6b-8c9d-0e1f2a3b4c5d'] },
      { name: 'http://schemas.microsoft.com/identity/claims/objectidentifier', values: [p.objectId] },
      { name: `${CLAIMS}/emailaddress`, values: [p.email] },
      { name: `${CLAIMS}/givenname`, values: ['Ada'] },
      { name: `${CLAIMS}/surname`, values: ['Lovelace'] },
      { name: `${CLAIMS}/name`, values: [p.email] },
      { name: ENTRA_GROUPS, values: ['b7e0f4d2-55c1-4f0e-9a7b-3c2d1e0f9a88', AUDITORS_OBJECT_ID] },
    ],
    sign: 'both',
    connection: { roleClaim: ENTRA_GROUPS, roleMapping: { [AUDITORS_OBJECT_ID]: ['auditor'] } },
  },
  {
    // ADFS with "Send LDAP Attributes as Claims" (E-Mail-Addresses, User-Principal-Name,
    // Given-Name, Surname, Token-Groups - Unqualified Names → Group) and a persistent NameID
    // from a transform rule; the assertion is signed (its default), RSA-SHA256.
    idp: 'ADFS',
    nameId: (p) => ({ value: p.objectId, format: PERSISTENT_FORMAT }),
    attributes: (p) => [
      { name: `${CLAIMS}/emailaddress`, values: [p.email], typed: true },
      { name: `${CLAIMS}/upn`, values: [`${p.login}@corp.example`], typed: true },
      { name: `${CLAIMS}/givenname`, values: ['Ada'], typed: true },
      { name: `${CLAIMS}/surname`, values: ['Lovelace'], typed: true },
      { name: ADFS_GROUP, values: ['Domain Users', 'Auditors'], typed: true },
    ],
    sign: 'assertion',
    connection: { roleClaim: ADFS_GROUP, roleMapping: { Auditors: ['auditor'] } },
  },
  {
    // Keycloak: NameID format "username" (unspecified), the X500 email/givenName/surname
    // mappers (OID names, URI format, friendly names), a "Role list" mapper with Single Role
    // Attribute on; documents signed, assertions not (Keycloak's default).
    idp: 'Keycloak',
    nameId: (p) => ({ value: p.login, format: UNSPECIFIED_FORMAT }),
    attributes: (p) => [
      { name: 'urn:oid:1.2.840.113549.1.9.1', friendlyName: 'email', values: [p.email], nameFormat: URI, typed: true },
      { name: 'urn:oid:2.5.4.42', friendlyName: 'givenName', values: ['Ada'], nameFormat: URI, typed: true },
      { name: 'urn:oid:2.5.4.4', friendlyName: 'surname', values: ['Lovelace'], nameFormat: URI, typed: true },
      { name: 'Role', values: ['offline_access', 'uma_authorization', 'auditors'], nameFormat: BASIC, typed: true },
    ],
    sign: 'response',
    connection: { wantAssertionsSigned: false, roleClaim: 'Role', roleMapping: { auditors: ['auditor'] } },
  },
  {
    // Google Workspace: NameID "EMAIL" from the primary email, attribute mapping to app
    // attributes the operator names (email, firstName, lastName) and group membership to
    // `groups`; the assertion is signed ("Signed response" left off).
    idp: 'Google Workspace',
    nameId: (p) => ({ value: p.email, format: EMAIL_FORMAT }),
    attributes: (p) => [
      { name: 'email', values: [p.email] },
      { name: 'firstName', values: ['Ada'] },
      { name: 'lastName', values: ['Lovelace'] },
      { name: 'groups', values: ['auditors@corp.example'] },
    ],
    sign: 'assertion',
    connection: { roleClaim: 'groups', roleMapping: { 'auditors@corp.example': ['auditor'] } },
  },
];

const escape = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function attributeStatement(attributes: ShapedAttribute[]): string {
  const xsi = ' xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
  const body = attributes
    .map((a) => {
      const format = a.nameFormat ? ` NameFormat="${a.nameFormat}"` : '';
      const friendly = a.friendlyName ? ` FriendlyName="${a.friendlyName}"` : '';
      const values = a.values.map((v) => `<saml:AttributeValue${a.typed ? `${xsi} xsi:type="xs:string"` : ''}>${escape(v)}</saml:AttributeValue>`).join('');
      return `<saml:Attribute Name="${escape(a.name)}"${format}${friendly}>${values}</saml:Attribute>`;
    })
    .join('');
  return `<saml:AttributeStatement xmlns:saml="${ASSERTION}">${body}</saml:AttributeStatement>`;
}

let people = 0;

describe.each(DATABASES)('SAML responses shaped like Okta, Entra ID, ADFS, Keycloak and Google Workspace, with the connection their README guide gives, on %s', (kind) => {
  let t: TestApp;
  let idp: TestIdp;
  let saml: SamlSide;
  const name = (shape: IdpShape) => shape.idp.toLowerCase().replace(/[^a-z]/g, '');
  beforeAll(async () => {
    ({ t, idp, saml } = await startAppWithIdp(
      kind,
      Object.fromEntries(SHAPES.map((shape) => [name(shape), { jitProvisioning: true, defaultRoles: ['viewer'], ...shape.connection }])),
    ));
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it.each(SHAPES.map((shape) => [shape.idp, shape] as const))('%s: signs in a JIT user with the email, the name and the mapped roles', async (_, shape) => {
    const login = `ada${++people}x${process.pid}`;
    const person: Person = { login, email: `${login}@corp.example`, objectId: `c0ffee00-0000-4000-8000-${String(people).padStart(12, '0')}` };
    const nameId = shape.nameId(person);
    const connection = name(shape);
    const browser = new FetchBrowser();
    const { requestId } = await saml.start(browser, connection);
    const encoded = await saml.response(
      requestId,
      {
        nameId: nameId.value,
        nameIdFormat: nameId.format,
        attributes: {},
        sign: shape.sign,
        algorithm: 'sha256',
        beforeSigning: (xml) => xml.replace('</saml:AuthnStatement>', `</saml:AuthnStatement>${attributeStatement(shape.attributes(person))}`),
      },
      connection,
    );
    const xml = Buffer.from(encoded, 'base64').toString('utf8');
    const signatures = (xml.match(/<ds:Signature /g) ?? []).length;
    expect(signatures).toBe(shape.sign === 'both' ? 2 : 1);
    expect(xml).toContain('Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"');

    const acs = await saml.post(browser, { SAMLResponse: encoded }, connection);
    expect(acs.status, acs.body).toBe(302);
    expect(acs.location).toBe(`${t.url}/`);
    const answer = await t.http.get(`${API}/auth/me`).set('cookie', `access_token=${browser.cookie('127.0.0.1', 'access_token')}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ email: person.email, roles: ['auditor', 'viewer'], is_system_admin: false });
    const user = await t.users.findById((answer.body as { id: string }).id);
    expect(user?.fullName).toBe('Ada Lovelace');
    const identity = await t.dataSource.getRepository(UserIdentityEntity).findOneBy({ provider: connection, subject: nameId.value });
    expect(identity).toMatchObject({ userId: user!.id, issuer: idp.entityId });
  });

  it('Keycloak’s default (response signed, assertion not) is refused by a connection that wants signed assertions', async () => {
    const keycloak = SHAPES.find((shape) => shape.idp === 'Keycloak')!;
    const browser = new FetchBrowser();
    const { requestId } = await saml.start(browser, 'okta');
    const encoded = await saml.response(requestId, { nameId: 'someone', nameIdFormat: UNSPECIFIED_FORMAT, sign: keycloak.sign }, 'okta');
    const acs = await saml.post(browser, { SAMLResponse: encoded }, 'okta');
    expect(acs.status).toBe(302);
    expect(acs.location).toBe(`${t.url}${API}/auth/saml/error?error=login_failed`);
  });
});
