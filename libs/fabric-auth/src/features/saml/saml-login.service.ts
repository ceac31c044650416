import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { generateServiceProviderMetadata, SAML, type SamlConfig, SamlStatusError, ValidateInResponseTo } from '@node-saml/node-saml';
import { LessThan, type Repository } from 'typeorm';
import { ExternalSignIn } from '../../access/sign-in/external-sign-in.service.js';
import { FabricClock } from '../../core/clock.js';
import { sha256 } from '../../core/crypto.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import { ExternalSignInRefused, type SignInProvider } from '../../core/ports/sign-in-provider.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import type { TokenPair } from '../../core/token-pair.js';
import { AuditService } from '../../data/audit.service.js';
import { isUniqueViolation } from '../../data/db-errors.js';
import { safeReturnPath } from '../../http/return-to.js';
import { SessionCookies } from '../../http/session-cookies.js';
import type { SsoLoginRefusal } from '../../http/sso-error-page.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { spKeyParts } from '../../options/saml-provider.options.js';
import { requestSigning, signingMetadata } from './saml-request-signing.js';
import { SamlUsedAssertionEntity } from '../../schema/entities/saml-used-assertion.entity.js';
import type { UserEntity } from '../../schema/entities/user.entity.js';
import { type CheckedAssertion, checkAssertion, checkResponse, identityOf } from './saml-assertion.js';
import { type IdpMetadata, type SamlConnection, SamlConnections } from './saml-connections.js';
import { SamlLoginFailure } from './saml-login.error.js';
import { SamlLoginStates } from './saml-login-state.js';
import { attributeOf, checkAssertionShape, checkResponseShape, decodeSamlResponse, parseXml, type XmlNode } from './saml-xml.js';

/** A finished SAML login: the session's tokens (already set as cookies), or a local second factor still due. */
export interface SamlLoginResult {
  user: UserEntity;
  tokens?: TokenPair;
  mfa?: { mfaToken: string; factors: string[] };
  /** Same-origin path to send the browser to. */
  returnTo: string;
}

const MAX_REQUEST_ID = 256;
const MAX_RELAY_STATE = 2048;

function signInProvider(connection: SamlConnection): SignInProvider {
  const organization = connection.organization;
  return {
    name: connection.providerName,
    protocol: 'saml',
    accounts: connection.options,
    ...(organization && {
      organization: { organizationId: organization.organizationId, connectionId: organization.id, roleMapping: organization.roleMapping, emailDomains: organization.emailDomains },
    }),
  };
}

/** node-saml refuses with plain errors: sorted by what they say (the message stays in the log). */
function refusalOfLibrary(error: unknown): SamlLoginFailure {
  if (error instanceof SamlStatusError) return new SamlLoginFailure('idp_error', 'status');
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 200);
  if (/signature/i.test(message)) return new SamlLoginFailure('invalid_signature', message);
  if (/decrypt|EncryptedAssertion/i.test(message)) return new SamlLoginFailure('decryption_failed', message);
  if (/audience/i.test(message)) return new SamlLoginFailure('wrong_audience', message);
  return new SamlLoginFailure('invalid_assertion', message);
}

/** One string per form field: a repeated field is a request nobody's browser makes. */
function formField(body: unknown, name: string): string | undefined {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new SamlLoginFailure('malformed_response', `${name} repeated or not text`);
  return value;
}

/**
 * SAML 2.0 Web Browser SSO as a service provider: AuthnRequests over HTTP-Redirect bound to
 * the browser that sent them, responses over HTTP-POST checked by node-saml (signatures,
 * decryption) and by us (document shape, algorithms, destination, issuers, bearer
 * confirmation, times, single use of the assertion on every instance), then the core's
 * account resolution and session, as for OIDC.
 */
@Injectable()
export class SamlLoginService {
  private readonly logger = new Logger('FabricSaml');

  constructor(
    private readonly connections: SamlConnections,
    private readonly states: SamlLoginStates,
    private readonly signIns: ExternalSignIn,
    private readonly sessionCookies: SessionCookies,
    private readonly audit: AuditService,
    private readonly clock: FabricClock,
    @InjectRepository(SamlUsedAssertionEntity) private readonly usedAssertions: Repository<SamlUsedAssertionEntity>,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
  ) {}

  /** The SP metadata the IdP is configured with: entity id, ACS, and the encryption certificate when there is one. */
  async metadata(name: string): Promise<string> {
    const connection = await this.connection(name);
    const { privateKey, certificate } = spKeyParts(connection.options.decryptionKey ?? '');
    return generateServiceProviderMetadata({
      issuer: this.connections.spEntityId(connection),
      callbackUrl: this.connections.url(connection, 'acs'),
      logoutCallbackUrl: this.connections.url(connection, 'slo'),
      identifierFormat: null,
      wantAssertionsSigned: connection.options.wantAssertionsSigned,
      ...(certificate ? { decryptionPvk: privateKey, decryptionCert: certificate } : {}),
      ...signingMetadata(connection.options),
    });
  }

  /** Starts a login: sets this attempt's state cookie and returns the IdP's SSO URL carrying the AuthnRequest. */
  async begin(name: string, returnTo: unknown, request: HttpRequestLike, response: unknown): Promise<string> {
    const connection = await this.connection(name);
    try {
      const idp = await this.connections.metadata(connection);
      const requestId = `_${randomBytes(20).toString('hex')}`;
      const url = await this.saml(connection, idp, () => requestId)
        .getAuthorizeUrlAsync('', undefined, {})
        .catch((error: unknown) => {
          throw new SamlLoginFailure('metadata_unavailable', `the AuthnRequest could not be built: ${(error as Error).message}`);
        });
      this.states.issue(request, response, { connection: connection.name, requestId, returnTo: safeReturnPath(returnTo) });
      return url;
    } catch (error) {
      throw await this.refuse(connection.providerName, this.classify(error), request);
    }
  }

  /** The ACS: checks the POSTed response, finds (or creates) the user and opens a cookie session. */
  async complete(name: string, body: unknown, request: HttpRequestLike, response: unknown): Promise<SamlLoginResult> {
    const connection = await this.connection(name);
    try {
      const encoded = formField(body, 'SAMLResponse');
      const relayState = formField(body, 'RelayState');
      const root = parseXml(decodeSamlResponse(encoded));
      const shape = checkResponseShape(root, connection.options.allowSha1);
      const login = this.checkedState(connection, root, relayState, request, response);
      const idp = await this.connections.metadata(connection);
      const acsUrl = this.connections.url(connection, 'acs');
      checkResponse(root, { idpEntityId: idp.entityId, acsUrl });
      const assertion = await this.verified(connection, idp, encoded!, shape.assertion);
      const checked = checkAssertion(assertion, {
        idpEntityId: idp.entityId,
        spEntityId: this.connections.spEntityId(connection),
        acsUrl,
        requestId: login.requestId,
        now: this.clock.now(),
        skewSeconds: this.options.clockSkew,
      });
      await this.useOnce(idp, checked);
      const identity = identityOf(checked, idp.entityId, connection.options.roleClaim);
      const signedIn = await this.signIns.signIn(signInProvider(connection), identity, request, {
        amr: ['fed'],
        localFactorDue: false,
        session: { subject: checked.nameId, sid: checked.sessionIndex, idToken: null },
      });
      if (signedIn.mfa) return { user: signedIn.user, mfa: signedIn.mfa, returnTo: login.returnTo };
      this.sessionCookies.set(response, signedIn.tokens);
      return { user: signedIn.user, tokens: signedIn.tokens, returnTo: login.returnTo };
    } catch (error) {
      throw await this.refuse(connection.providerName, this.classify(error), request);
    }
  }

  /** Unknown, and an organization's connection disabled or deleted, alike: 404 `unknown_connection`, before anything is read. */
  private async connection(name: string): Promise<SamlConnection> {
    const connection = await this.connections.connection(name);
    if (!connection) throw new SamlLoginFailure('unknown_connection').toHttpException();
    return connection;
  }

  /**
   * A response answers the login this browser started (its cookie, named by `InResponseTo`),
   * once; one answering nothing is IdP-initiated, accepted only where the connection allows it.
   */
  private checkedState(
    connection: SamlConnection,
    root: XmlNode,
    relayState: string | undefined,
    request: HttpRequestLike,
    response: unknown,
  ): { requestId: string | null; returnTo: string } {
    const inResponseTo = attributeOf(root, 'InResponseTo');
    if (inResponseTo === null || inResponseTo === '') {
      if (!connection.options.allowIdpInitiated) throw new SamlLoginFailure('unsolicited_response');
      return { requestId: null, returnTo: safeReturnPath(relayState !== undefined && relayState.length <= MAX_RELAY_STATE ? relayState : undefined) };
    }
    if (inResponseTo.length > MAX_REQUEST_ID) throw new SamlLoginFailure('malformed_response', 'InResponseTo too long');
    // Whatever happens next, this login attempt is over.
    this.states.clear(response, inResponseTo);
    const read = this.states.read(request, inResponseTo);
    if (read.outcome !== 'valid') throw new SamlLoginFailure(`state_${read.outcome}`);
    if (read.state.connection !== connection.name) throw new SamlLoginFailure('state_mismatch', `started with ${read.state.connection}`);
    if (!this.states.consume(read.state)) throw new SamlLoginFailure('state_replayed');
    return { requestId: read.state.requestId, returnTo: read.state.returnTo };
  }

  /**
   * node-saml's verdict on the signatures (and the decryption), against the IdP's certificates;
   * a signature none of them verifies reads the metadata again first (a rollover). Returns the
   * assertion to read: the document's own, or the decrypted one, held to the same shape.
   */
  private async verified(connection: SamlConnection, idp: IdpMetadata, encoded: string, plain: XmlNode | null): Promise<XmlNode> {
    const validate = async (metadata: IdpMetadata) => {
      try {
        return (await this.saml(connection, metadata).validatePostResponseAsync({ SAMLResponse: encoded })).profile;
      } catch (error) {
        throw refusalOfLibrary(error);
      }
    };
    let profile;
    try {
      profile = await validate(idp);
    } catch (error) {
      if (!(error instanceof SamlLoginFailure) || error.reason !== 'invalid_signature' || !(await this.connections.refreshAfterUnknownSigner(connection))) throw error;
      profile = await validate(await this.connections.metadata(connection));
    }
    if (!profile?.getAssertionXml) throw new SamlLoginFailure('invalid_assertion', 'no assertion');
    const signed = parseXml(profile.getAssertionXml(), 'invalid_assertion');
    if (plain === null) {
      checkAssertionShape(signed, connection.options.allowSha1);
      return signed;
    }
    // What node-saml verified is the one assertion of the document: read that one.
    if (attributeOf(signed, 'ID') !== attributeOf(plain, 'ID')) throw new SamlLoginFailure('signature_wrapping', 'the verified assertion is not the one in the response');
    return plain;
  }

  /** The assertion's ID, single use on every instance: a row kept until the assertion would be refused anyway. */
  private async useOnce(idp: IdpMetadata, checked: CheckedAssertion): Promise<void> {
    const now = this.clock.now();
    await this.usedAssertions.delete({ expiresAt: LessThan(new Date(now)) });
    try {
      await this.usedAssertions.insert({ assertionKey: sha256(`${idp.entityId}\n${checked.id}`, 'hex'), expiresAt: new Date(checked.usableUntil) });
    } catch (error) {
      if (isUniqueViolation(error)) throw new SamlLoginFailure('assertion_replayed');
      throw error;
    }
  }

  private saml(connection: SamlConnection, idp: IdpMetadata, generateUniqueId?: () => string): SAML {
    const spEntityId = this.connections.spEntityId(connection);
    const config: SamlConfig = {
      callbackUrl: this.connections.url(connection, 'acs'),
      entryPoint: idp.ssoUrl,
      issuer: spEntityId,
      audience: spEntityId,
      idpCert: idp.certificates,
      wantAssertionsSigned: connection.options.wantAssertionsSigned,
      // One of the two signatures is always required: node-saml then asks the assertion's when the response has none.
      wantAuthnResponseSigned: false,
      // Times, InResponseTo and the audience are checked by `checkAssertion`, on FabricClock.
      acceptedClockSkewMs: -1,
      validateInResponseTo: ValidateInResponseTo.never,
      // Entra ID refuses a login whose method is not the requested context: ask for none.
      disableRequestedAuthnContext: true,
      identifierFormat: null,
      signatureAlgorithm: 'sha256',
      ...requestSigning(connection.options),
      ...(connection.options.decryptionKey ? { decryptionPvk: spKeyParts(connection.options.decryptionKey).privateKey } : {}),
      ...(generateUniqueId ? { generateUniqueId } : {}),
    };
    return new SAML(config);
  }

  /** Sorts a failure into a reason; never a 500. */
  private classify(error: unknown): SamlLoginFailure {
    if (error instanceof SamlLoginFailure) return error;
    if (error instanceof ExternalSignInRefused) return new SamlLoginFailure(error.reason, error.detail, error.user);
    this.logger.error(`SAML login failed unexpectedly: ${(error as Error)?.stack ?? String(error)}`);
    return new SamlLoginFailure('internal_error');
  }

  private async refuse(connection: string, failure: SamlLoginFailure, request: HttpRequestLike): Promise<SsoLoginRefusal> {
    this.logger.warn(`SAML login with ${connection} refused: ${failure.message}`);
    const user = failure.user;
    await this.audit.record({
      action: 'saml.login.failure',
      outcome: 'failure',
      actor: user ? { kind: 'user', id: user.id, username: user.username } : null,
      target: user ? { type: 'user', id: user.id } : null,
      request,
      details: { provider: connection, reason: failure.reason },
    });
    return failure.toHttpException();
  }
}
