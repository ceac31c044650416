import { Inject, Injectable, Logger } from '@nestjs/common';
import * as client from 'openid-client';
import { AuditService } from '../../data/audit.service.js';
import type { TokenPair } from '../../core/token-pair.js';
import { SessionCookies } from '../../http/session-cookies.js';
import { FabricClock } from '../../core/clock.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import type { UserEntity } from '../../schema/entities/user.entity.js';
import { causedBy, describeError, IdpUnreachableError, type OidcProvider, OidcClients } from './oidc-clients.js';
import { OidcLoginFailure } from './oidc-login.error.js';
import type { SsoLoginRefusal } from '../../http/sso-error-page.js';
import { type OidcLoginState, OidcLoginStates } from './oidc-login-state.js';
import { safeReturnPath } from '../../http/return-to.js';
import { claimAt, claimMovedElsewhere, claimValues, parseClaimPath } from '../../core/claim-path.js';
import { type ExternalIdentity, ExternalSignInRefused, type SignInProvider } from '../../core/ports/sign-in-provider.js';
import { ExternalSignIn } from '../../access/sign-in/external-sign-in.service.js';
import { constantTimeEqual } from '../../core/crypto.js';

/** What a login learnt about the person, from the validated ID token and UserInfo: the identity the core resolves, and the ID token's `amr`. */
export interface OidcProfile extends ExternalIdentity {
  /** The ID token's `amr` (RFC 8176 method names only); absent when the provider sent none. */
  amr?: string[];
}

/** A configured OIDC provider as the core's account resolution sees it. */
function signInProvider(provider: OidcProvider): SignInProvider {
  const organization = provider.organization;
  return {
    name: provider.providerName,
    protocol: 'oidc',
    accounts: provider.options,
    ...(organization && {
      organization: { organizationId: organization.organizationId, connectionId: organization.id, roleMapping: organization.roleMapping, emailDomains: organization.emailDomains },
    }),
  };
}

/**
 * The scopes a login asks for: the configured ones; for an organization's connection that maps a
 * claim, also `groups` when the provider offers that scope (Okta, Keycloak: no groups without it).
 */
function scopesOf(provider: OidcProvider, config: client.Configuration): string {
  const offered = config.serverMetadata().scopes_supported ?? [];
  const groups = provider.organization?.roleClaim != null && offered.includes('groups') && !provider.options.scopes.includes('groups');
  return [...provider.options.scopes, ...(groups ? ['groups'] : [])].join(' ');
}

/** @publicApi */
export interface OidcLoginResult {
  provider: string;
  /** `login` opened a session; `link` added the identity to the signed-in user (no new session). */
  kind: 'login' | 'link';
  user: UserEntity;
  /** The session's tokens, already set as cookies on the response; absent after a link, or when a local second factor is still due (`mfa`). */
  tokens?: TokenPair;
  /** Provider option `mfa: local` and a user with a local factor: the login completes at the token endpoint with this. */
  mfa?: { mfaToken: string; factors: string[] };
  /** Same-origin path to send the browser to. */
  returnTo: string;
}

/** What may shape the provider's login page (OIDC Core §3.1.2.1); checked, then passed on. */
export interface OidcLoginRequest {
  returnTo?: unknown;
  /** Space-separated `login`, `consent`, `select_account`, or `none` alone. */
  prompt?: unknown;
  /** The login the provider should suggest (an email or username), at most 256 characters. */
  loginHint?: unknown;
}

const PROMPT_VALUES = new Set(['none', 'login', 'consent', 'select_account']);
const MAX_LOGIN_HINT = 256;

function checkedPrompt(raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  const values = typeof raw === 'string' ? raw.split(' ') : [];
  const valid = values.length > 0 && values.every((v) => PROMPT_VALUES.has(v)) && new Set(values).size === values.length && (!values.includes('none') || values.length === 1);
  if (!valid) throw new OidcLoginFailure('bad_parameter', 'prompt');
  return values.join(' ');
}

function checkedLoginHint(raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_LOGIN_HINT || /[\u0000-\u001f\u007f]/.test(raw)) {
    throw new OidcLoginFailure('bad_parameter', 'login_hint');
  }
  return raw;
}

/** Signature algorithms an ID token may use: asymmetric only, so no client secret or `none` is ever a key. */
const ID_TOKEN_ALGORITHMS = /^(RS|PS|ES)(256|384|512)$|^(EdDSA|Ed25519)$/;
const CALLBACK_PARAMETERS = ['code', 'state', 'iss', 'error'] as const;
/** IdP error codes repeated in the log (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6); anything else is `other`. */
const KNOWN_IDP_ERRORS = new Set([
  'access_denied',
  'invalid_request',
  'unauthorized_client',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
  'interaction_required',
  'login_required',
  'account_selection_required',
  'consent_required',
]);

function requestUrl(request: HttpRequestLike): string {
  const r = request as { originalUrl?: string; url?: string };
  return r.originalUrl ?? r.url ?? '/';
}

function stringClaim(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : null;
}

/**
 * The authorization-code flow with PKCE (S256), state and nonce against one configured
 * provider, ending in the library's own cookie session. The provider's tokens are used
 * here and dropped: none of them reaches the browser.
 */
@Injectable()
export class OidcLoginService {
  private readonly logger = new Logger('FabricOidc');

  constructor(
    private readonly clients: OidcClients,
    private readonly states: OidcLoginStates,
    private readonly signIns: ExternalSignIn,
    private readonly sessionCookies: SessionCookies,
    private readonly audit: AuditService,
    private readonly clock: FabricClock,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
  ) {}

  /** Starts a login: sets the attempt's state cookie on the response and returns the provider's authorization URL. */
  async begin(providerName: string, login: OidcLoginRequest, request: HttpRequestLike, response: unknown): Promise<URL> {
    return this.start(providerName, login, undefined, request, response);
  }

  /**
   * Starts linking another identity to the signed-in user: the provider is asked for a
   * fresh login (`prompt=login`, `max_age=0`), and the callback adds the identity to this
   * user instead of opening a session.
   */
  async beginLink(providerName: string, returnTo: unknown, user: { userId: string; sessionId: string }, request: HttpRequestLike, response: unknown): Promise<URL> {
    return this.start(providerName, { returnTo }, { ...user, startedAt: this.clock.now() }, request, response);
  }

  private async start(providerName: string, login: OidcLoginRequest, link: OidcLoginState['link'], request: HttpRequestLike, response: unknown): Promise<URL> {
    const provider = await this.provider(providerName);
    // A link adds an identity to whoever is signed in: through an organization's connection, a sign-in joins the organization instead.
    if (link && provider.organization) throw new OidcLoginFailure('unknown_provider').toHttpException();
    try {
      const prompt = link ? 'login' : checkedPrompt(login.prompt);
      const loginHint = checkedLoginHint(login.loginHint);
      const config = await this.clients.configuration(provider);
      const attempt = {
        provider: provider.name,
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier: client.randomPKCECodeVerifier(),
        returnTo: safeReturnPath(login.returnTo),
        ...(link ? { link } : {}),
      };
      const url = client.buildAuthorizationUrl(config, {
        response_type: 'code',
        redirect_uri: provider.options.redirectUri,
        scope: scopesOf(provider, config),
        state: attempt.state,
        nonce: attempt.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(attempt.codeVerifier),
        code_challenge_method: 'S256',
        ...(prompt ? { prompt } : {}),
        ...(loginHint ? { login_hint: loginHint } : {}),
        ...(link ? { max_age: '0' } : {}),
      });
      this.states.issue(request, response, attempt);
      return url;
    } catch (error) {
      throw await this.refuse(provider.providerName, this.classify(error, 'discovery'), request);
    }
  }

  /**
   * Finishes a login at the callback: checks the state cookie, exchanges the code, validates
   * the ID token and UserInfo, finds (or creates) the user and opens a cookie session.
   */
  async complete(providerName: string, request: HttpRequestLike, response: unknown): Promise<OidcLoginResult> {
    const query = requestUrl(request);
    const state = new URLSearchParams(query.includes('?') ? query.slice(query.indexOf('?') + 1) : '').getAll('state');
    // Whatever happens next, this login attempt is over.
    this.states.clear(response, state.length === 1 ? state[0] : null);
    const provider = await this.provider(providerName);
    try {
      const params = this.callbackParameters(request);
      const login = this.checkedState(provider, params, request);
      const config = await this.clients.configuration(provider);
      const { profile, idToken, sid } = await this.authenticate(provider, config, login, params);
      if (login.link) {
        const user = await this.signIns.linkToSignedInUser(signInProvider(provider), profile, login.link, request);
        return { provider: provider.name, kind: 'link', user, returnTo: login.returnTo };
      }
      const signedIn = await this.signIns.signIn(signInProvider(provider), profile, request, {
        amr: this.amrOf(provider, profile),
        localFactorDue: provider.options.mfa === 'local',
        session: { subject: profile.subject, sid, idToken },
      });
      const { user, tokens, mfa } = signedIn;
      if (mfa) return { provider: provider.name, kind: 'login', user, mfa, returnTo: login.returnTo };
      this.sessionCookies.set(response, tokens);
      return { provider: provider.name, kind: 'login', user, tokens, returnTo: login.returnTo };
    } catch (error) {
      throw await this.refuse(provider.providerName, this.classify(error, 'login'), request);
    }
  }

  /**
   * `fed` plus, when the provider's `amr` counts, its methods; `mfa` when it says so or
   * names two methods (a password and a code, say).
   */
  private amrOf(provider: OidcProvider, profile: OidcProfile): string[] {
    if (provider.options.mfa !== 'idp_amr') return ['fed'];
    const methods = [...new Set(profile.amr ?? [])];
    const multi = methods.includes('mfa') || methods.filter((m) => m !== 'mfa').length >= 2;
    return ['fed', ...methods.filter((m) => m !== 'mfa'), ...(multi ? ['mfa'] : [])];
  }

  /** Unknown, and an organization's connection disabled or deleted, alike: 404 `unknown_provider`, before anything is read. */
  private async provider(name: string): Promise<OidcProvider> {
    const provider = await this.clients.provider(name);
    if (!provider) throw new OidcLoginFailure('unknown_provider').toHttpException();
    return provider;
  }

  /** The callback must carry the state of the login this browser started, with this provider, once. */
  private checkedState(provider: OidcProvider, params: URLSearchParams, request: HttpRequestLike): OidcLoginState {
    const read = this.states.read(request, params.get('state'));
    if (read.outcome !== 'valid') throw new OidcLoginFailure(`state_${read.outcome}`);
    const login = read.state;
    if (login.provider !== provider.name) throw new OidcLoginFailure('provider_mismatch', `started with ${login.provider}`);
    const state = params.get('state');
    if (state === null || !constantTimeEqual(state, login.state)) throw new OidcLoginFailure('state_mismatch');
    if (!this.states.consume(login)) throw new OidcLoginFailure('state_replayed');
    return login;
  }

  private callbackParameters(request: HttpRequestLike): URLSearchParams {
    const url = requestUrl(request);
    const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
    const params = new URLSearchParams(query);
    for (const name of CALLBACK_PARAMETERS) {
      if (params.getAll(name).length > 1) throw new OidcLoginFailure('bad_callback', `${name} repeated`);
    }
    return params;
  }

  private async authenticate(
    provider: OidcProvider,
    config: client.Configuration,
    login: OidcLoginState,
    params: URLSearchParams,
  ): Promise<{ profile: OidcProfile; idToken: string; sid: string | null }> {
    const server = config.serverMetadata();
    const error = params.get('error');
    if (error !== null) throw new OidcLoginFailure('idp_error', KNOWN_IDP_ERRORS.has(error) ? error : 'other');
    // RFC 9207: a response naming another issuer was meant for another provider (mix-up).
    const iss = params.get('iss');
    if (iss !== null && iss !== server.issuer) throw new OidcLoginFailure('issuer_mismatch');
    if (!params.get('code')) throw new OidcLoginFailure('bad_callback', 'no code');
    // The configured redirect_uri, not the URL this request reached us by (proxies rewrite it).
    const callbackUrl = new URL(provider.options.redirectUri);
    for (const [name, value] of params) callbackUrl.searchParams.append(name, value);
    const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      expectedState: login.state,
      expectedNonce: login.nonce,
      pkceCodeVerifier: login.codeVerifier,
      idTokenExpected: true,
    });
    const claims = this.checkedIdToken(provider, tokens);
    if (login.link) this.requireFreshLogin(claims, login.link.startedAt);
    const userInfo = await this.userInfo(config, tokens.access_token, claims.sub);
    return { profile: this.profile(provider, claims, userInfo), idToken: tokens.id_token!, sid: stringClaim(claims.sid, 255) };
  }

  /** What OIDC Core §3.1.3.7 asks beyond openid-client's checks (signature, iss, aud, exp, iat, nonce). */
  private checkedIdToken(provider: OidcProvider, tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers): client.IDToken {
    const claims = tokens.claims();
    if (!claims || !tokens.id_token) throw new OidcLoginFailure('invalid_id_token', 'no ID token');
    const header = JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url').toString('utf8')) as { alg?: unknown };
    if (typeof header.alg !== 'string' || !ID_TOKEN_ALGORITHMS.test(header.alg)) {
      throw new OidcLoginFailure('invalid_id_token', `alg ${String(header.alg)}`);
    }
    // §3.1.3.7 (3): refuse audiences we do not trust, which is any but our own client.
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (audiences.some((aud) => aud !== provider.options.clientId)) throw new OidcLoginFailure('invalid_id_token', 'untrusted audience');
    // §3.1.3.7 (5), which openid-client checks only for several audiences.
    if (claims.azp !== undefined && claims.azp !== provider.options.clientId) throw new OidcLoginFailure('invalid_id_token', 'azp');
    if (stringClaim(claims.sub, 255) === null) throw new OidcLoginFailure('invalid_id_token', 'sub');
    return claims;
  }

  /** A link proves control of the identity now: the provider must have authenticated the person after the link started. */
  private requireFreshLogin(claims: client.IDToken, startedAt: number): void {
    const authTime = claims.auth_time;
    if (typeof authTime !== 'number' || authTime * 1000 < startedAt - this.options.clockSkew * 1000) {
      throw new OidcLoginFailure('invalid_id_token', 'auth_time before the link started');
    }
  }

  private async userInfo(config: client.Configuration, accessToken: string, subject: string): Promise<client.UserInfoResponse | undefined> {
    if (!config.serverMetadata().userinfo_endpoint) return undefined;
    try {
      return await client.fetchUserInfo(config, accessToken, subject);
    } catch (error) {
      throw this.classify(error, 'userinfo');
    }
  }

  private profile(provider: OidcProvider, claims: client.IDToken, userInfo: client.UserInfoResponse | undefined): OidcProfile {
    const merged: Record<string, unknown> = { ...claims, ...userInfo };
    const email = stringClaim(merged.email, 320);
    const rolePath = provider.options.roleClaim === undefined ? undefined : parseClaimPath(provider.options.roleClaim);
    if (rolePath !== undefined && !Array.isArray(rolePath)) throw new Error(`role_claim: ${rolePath.problem}`); // validated at startup
    // Entra ID sends `_claim_names.groups` instead of the groups of a member of more than
    // 200: mapping the rest would sign the person in with fewer roles and no word of why.
    const mapsRoles = Object.keys(provider.options.roleMapping).length > 0;
    if (rolePath !== undefined && mapsRoles && claimMovedElsewhere(merged, rolePath)) throw new OidcLoginFailure('groups_overage', rolePath.join('.'));
    const roleClaimValues = rolePath === undefined ? [] : claimValues(claimAt(merged, rolePath), false);
    const given = [stringClaim(merged.given_name, 100), stringClaim(merged.family_name, 100)].filter(Boolean).join(' ');
    return {
      issuer: claims.iss,
      subject: claims.sub,
      email: email && email.includes('@') ? email : null,
      // Some providers send the string "true"; an absent claim (Entra ID) is not a verification.
      emailVerified: merged.email_verified === true || merged.email_verified === 'true',
      name: stringClaim(merged.name, 200) ?? (given || null),
      preferredUsername: stringClaim(merged.preferred_username, 200),
      groups: roleClaimValues,
      amr: Array.isArray(claims.amr) ? claims.amr.filter((m): m is string => typeof m === 'string' && /^[a-z]{2,16}$/.test(m) && m !== 'fed').slice(0, 6) : [],
    };
  }

  /**
   * Sorts a failure into a reason: the provider being down (502) apart from anything the
   * provider or the browser sent that we refuse (4xx). Never a 500.
   */
  private classify(error: unknown, step: 'discovery' | 'login' | 'userinfo'): OidcLoginFailure {
    if (error instanceof OidcLoginFailure) return error;
    // The core's account resolution refuses with the same reasons, audited and answered as they are.
    if (error instanceof ExternalSignInRefused) return new OidcLoginFailure(error.reason, error.detail, error.user);
    if (step === 'discovery') return new OidcLoginFailure('discovery_failed', describeError(error));
    const timedOut = error instanceof client.ClientError && (error.code === 'OAUTH_TIMEOUT' || error.code === 'OAUTH_ABORT');
    if (timedOut || causedBy(error, IdpUnreachableError)) return new OidcLoginFailure('idp_unreachable', describeError(error));
    if (step === 'userinfo') return new OidcLoginFailure('userinfo_invalid', describeError(error));
    if (error instanceof client.AuthorizationResponseError) return new OidcLoginFailure('idp_error', describeError(error));
    if (error instanceof client.ResponseBodyError || error instanceof client.WWWAuthenticateChallengeError) {
      return new OidcLoginFailure('code_rejected', describeError(error));
    }
    if (error instanceof client.ClientError) {
      const badResponse = error.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || error.code === 'OAUTH_RESPONSE_IS_NOT_JSON';
      return new OidcLoginFailure(badResponse ? 'code_rejected' : 'invalid_id_token', describeError(error));
    }
    this.logger.error(`OIDC login failed unexpectedly: ${(error as Error)?.stack ?? String(error)}`);
    return new OidcLoginFailure('internal_error');
  }

  private async refuse(provider: string, failure: OidcLoginFailure, request: HttpRequestLike): Promise<SsoLoginRefusal> {
    this.logger.warn(`OIDC login with ${provider} refused: ${failure.message}`);
    const user = failure.user;
    await this.audit.record({
      action: 'oidc.login.failure',
      outcome: 'failure',
      actor: user ? { kind: 'user', id: user.id, username: user.username } : null,
      target: user ? { type: 'user', id: user.id } : null,
      request,
      details: { provider, reason: failure.reason },
    });
    return failure.toHttpException();
  }
}
