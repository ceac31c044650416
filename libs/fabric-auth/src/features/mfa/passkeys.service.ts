import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Repository } from 'typeorm';
import { AuditService } from '../../data/audit.service.js';
import { FabricClock } from '../../core/clock.js';
import { PublicBaseUrl } from '../../options/public-base-url.js';
import { isUniqueViolation } from '../../data/db-errors.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { FabricTransactions } from '../../data/transactions.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import type { Principal } from '../../core/principal.js';
import type { UserEntity } from '../../schema/entities/user.entity.js';
import { MfaChallenges, MFA_TOKEN_TTL_SECONDS } from './mfa-tokens.service.js';
import { MfaFactorEntity } from '../../schema/entities/mfa-factor.entity.js';
import { type FactorProof, MfaService } from './mfa.service.js';
import { type RelyingParty, relyingPartyOf } from '../../options/webauthn-relying-party.js';
import { isUuid } from '../../core/ids.js';
import { sha256 } from '../../core/crypto.js';
import { fabricError } from '../../core/fabric-error.js';

const B64URL = /^[A-Za-z0-9_-]+={0,2}$/;
const MAX_PASSKEYS = 20;

function b64urlField(value: unknown, name: string, max: number, optional = false): string | undefined {
  if (value === undefined || value === null) {
    if (optional) return undefined;
    throw fabricError('passkey_refused', `credential.${name} is required`);
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > max || !B64URL.test(value)) {
    throw fabricError('passkey_refused', `credential.${name} must be base64url`);
  }
  return value;
}

function plainObject(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fabricError('passkey_refused', `${name} must be an object`);
  return value as Record<string, unknown>;
}

/** The challenge a client says it signed: read from `clientDataJSON`, verified later by the library. */
function challengeOf(clientDataJSON: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    if (typeof parsed.challenge === 'string') return parsed.challenge;
  } catch {
    // answered below
  }
  throw fabricError('passkey_refused', 'credential.response.clientDataJSON is not WebAuthn client data');
}

/** A `PublicKeyCredential` (JSON form) from a registration, checked for shape before the library parses it. */
export function parseRegistrationCredential(raw: unknown): RegistrationResponseJSON {
  const c = plainObject(raw, 'credential');
  const r = plainObject(c.response, 'credential.response');
  if (c.type !== 'public-key') throw fabricError('passkey_refused', 'credential.type must be public-key');
  const transports = r.transports;
  if (transports !== undefined && (!Array.isArray(transports) || transports.length > 8 || transports.some((t) => typeof t !== 'string' || t.length > 16))) {
    throw fabricError('passkey_refused', 'credential.response.transports must be a list of transport names');
  }
  return {
    id: b64urlField(c.id, 'id', 1400)!,
    rawId: b64urlField(c.rawId, 'rawId', 1400)!,
    type: 'public-key',
    clientExtensionResults: {},
    response: {
      clientDataJSON: b64urlField(r.clientDataJSON, 'response.clientDataJSON', 4096)!,
      attestationObject: b64urlField(r.attestationObject, 'response.attestationObject', 16384)!,
      ...(transports !== undefined && { transports: transports as RegistrationResponseJSON['response']['transports'] }),
    },
  };
}

export function parseAuthenticationCredential(raw: unknown): AuthenticationResponseJSON {
  const c = plainObject(raw, 'credential');
  const r = plainObject(c.response, 'credential.response');
  if (c.type !== 'public-key') throw fabricError('passkey_refused', 'credential.type must be public-key');
  const userHandle = b64urlField(r.userHandle, 'response.userHandle', 128, true);
  return {
    id: b64urlField(c.id, 'id', 1400)!,
    rawId: b64urlField(c.rawId, 'rawId', 1400)!,
    type: 'public-key',
    clientExtensionResults: {},
    response: {
      clientDataJSON: b64urlField(r.clientDataJSON, 'response.clientDataJSON', 4096)!,
      authenticatorData: b64urlField(r.authenticatorData, 'response.authenticatorData', 4096)!,
      signature: b64urlField(r.signature, 'response.signature', 1024)!,
      ...(userHandle !== undefined && { userHandle }),
    },
  };
}

/** The WebAuthn user handle: the user's id as 16 bytes (no name, no email). */
export function userHandleOf(userId: string): Uint8Array {
  return Uint8Array.from(Buffer.from(userId.replace(/-/g, ''), 'hex'));
}

export type PasskeyAssertion = { ok: true; user: { id: string }; factorId: string; userVerified: boolean } | { ok: false; reason: string; userId?: string };

/**
 * Passkeys (WebAuthn, `@simplewebauthn/server`): registration and sign-in ceremonies whose
 * challenges are random, stored hashed, bound to their user or login attempt and spent
 * before the response is checked; RP ID and origins from `auth.webauthn`; a signature
 * counter that goes backwards is refused (a cloned authenticator).
 */
@Injectable()
export class PasskeysService implements OnModuleInit {
  private readonly logger = new Logger('FabricAuth');

  constructor(
    @InjectRepository(MfaFactorEntity) private readonly factors: Repository<MfaFactorEntity>,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly challenges: MfaChallenges,
    private readonly mfa: MfaService,
    private readonly clock: FabricClock,
    private readonly transactions: FabricTransactions,
    private readonly audit: AuditService,
    private readonly publicBaseUrl: PublicBaseUrl,
  ) {}

  onModuleInit(): void {
    const relyingParty = relyingPartyOf(this.options.webauthn, this.options.publicBaseUrl, 'http://localhost');
    if ('unavailable' in relyingParty) this.logger.warn(`Passkeys are off: ${relyingParty.unavailable}`);
  }

  /** Derived when asked, as the listening port is known only once the server listens; a ceremony a browser would refuse is not offered (the startup warning says why). */
  private relyingParty(): RelyingParty {
    const relyingParty = relyingPartyOf(this.options.webauthn, this.options.publicBaseUrl, this.publicBaseUrl.get());
    if ('unavailable' in relyingParty) throw fabricError('passkeys_unavailable', 'Passkeys are not available on this server');
    return relyingParty;
  }

  async registrationOptions(user: UserEntity): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const relyingParty = this.relyingParty();
    const existing = await this.factors.find({ where: { userId: user.id, type: 'passkey' }, select: { id: true, credentialId: true, transports: true } });
    if (existing.length >= MAX_PASSKEYS) throw fabricError('factor_already_enrolled', `At most ${MAX_PASSKEYS} passkeys per user`);
    const challenge = randomBytes(32).toString('base64url');
    const options = await generateRegistrationOptions({
      rpName: relyingParty.rpName,
      rpID: relyingParty.rpId,
      userName: user.username,
      userDisplayName: user.fullName ?? user.username,
      userID: userHandleOf(user.id) as Uint8Array<ArrayBuffer>,
      challenge,
      timeout: MFA_TOKEN_TTL_SECONDS * 1000,
      attestationType: 'none',
      excludeCredentials: existing.map((f) => ({ id: f.credentialId!, ...(f.transports && { transports: f.transports }) })),
      // Discoverable, so the same passkey also signs in without a username.
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    });
    await this.challenges.storeChallenge('passkey_register', options.challenge, { userId: user.id });
    return options;
  }

  async register(
    actor: Principal,
    user: UserEntity,
    name: string,
    rawCredential: unknown,
    request: HttpRequestLike,
  ): Promise<{ id: string; name: string; recovery_codes?: string[] }> {
    const credential = parseRegistrationCredential(rawCredential);
    const row = await this.challenges.takeChallenge('passkey_register', challengeOf(credential.response.clientDataJSON));
    if (!row || row.userId !== user.id) throw fabricError('passkey_refused', 'Unknown, used or expired registration challenge; ask for new options');
    const relyingParty = this.relyingParty();
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response: credential,
        expectedChallenge: (c) => sha256(c, 'hex') === row.secretHash,
        expectedOrigin: relyingParty.origins,
        expectedRPID: relyingParty.rpId,
        requireUserVerification: false,
      });
    } catch (error) {
      await this.auditFailure(actor, user.id, 'register', (error as Error).message, request);
      throw fabricError('passkey_refused', `The passkey registration was refused: ${(error as Error).message}`);
    }
    if (!verified.verified) throw fabricError('passkey_refused', 'The passkey registration was refused');
    const info = verified.registrationInfo;
    const id = randomUUID();
    try {
      return await this.transactions.run(async (tx) => {
        await this.mfa.assertMayStillAdd(tx, actor, user.id, row.createdAt);
        const now = new Date(this.clock.now());
        await tx.manager.insert(MfaFactorEntity, {
          id,
          userId: user.id,
          type: 'passkey',
          name,
          createdAt: now,
          confirmedAt: now,
          lastUsedAt: null,
          secretSealed: null,
          lastUsedStep: null,
          credentialId: info.credential.id,
          publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
          signCount: info.credential.counter,
          transports: info.credential.transports ?? null,
          backedUp: info.credentialBackedUp,
        });
        await this.challenges.voidAllOf(user.id, tx);
        const recoveryCodes = await this.mfa.ensureRecoveryCodes(user.id, tx);
        await this.audit.recordIn(tx, {
          action: 'mfa.enrol',
          outcome: 'success',
          actor,
          target: { type: 'user', id: user.id },
          request,
          details: { factor: 'passkey', passkey: id, user_verified: info.userVerified, recovery_codes_issued: recoveryCodes !== undefined },
        });
        return { id, name, ...(recoveryCodes && { recovery_codes: recoveryCodes }) };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw fabricError('already_exists', 'This passkey is already registered');
      throw error;
    }
  }

  async rename(actor: Principal, user: UserEntity, passkeyId: string, name: string, request: HttpRequestLike): Promise<void> {
    const passkey = await this.passkeyOf(user.id, passkeyId);
    await this.transactions.run(async (tx) => {
      await tx.manager.update(MfaFactorEntity, { id: passkey.id }, { name });
      await this.audit.recordIn(tx, { action: 'mfa.passkey_rename', outcome: 'success', actor, target: { type: 'user', id: user.id }, request, details: { passkey: passkey.id } });
    });
  }

  async remove(actor: Principal, user: UserEntity, passkeyId: string, proof: FactorProof, request: HttpRequestLike): Promise<void> {
    const passkey = await this.passkeyOf(user.id, passkeyId);
    await this.mfa.requireCurrentFactor(actor, user, proof, request);
    await this.transactions.run(async (tx) => {
      await tx.manager.delete(MfaFactorEntity, { id: passkey.id });
      await this.challenges.voidAllOf(user.id, tx);
      const codesRemoved = await this.mfa.dropRecoveryCodesIfNoFactor(user.id, tx);
      await this.audit.recordIn(tx, {
        action: 'mfa.remove',
        outcome: 'success',
        actor,
        target: { type: 'user', id: user.id },
        request,
        details: { factor: 'passkey', passkey: passkey.id, recovery_codes_removed: codesRemoved },
      });
    });
  }

  private async passkeyOf(userId: string, passkeyId: string): Promise<MfaFactorEntity> {
    const passkey = isUuid(passkeyId) ? await this.factors.findOneBy({ id: passkeyId, userId, type: 'passkey' }) : null;
    if (!passkey) throw fabricError('passkey_not_found', 'Passkey not found');
    return passkey;
  }

  /**
   * Options for a sign-in: for the second step of a login, the user's passkeys and a
   * challenge bound to that `mfa_token`; for a passwordless one, a challenge bound to
   * nothing yet (the passkey names its user) and user verification required.
   */
  async authenticationOptions(binding: { userId: string; mfaTokenId: string } | undefined): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const relyingParty = this.relyingParty();
    const allow = binding ? await this.factors.find({ where: { userId: binding.userId, type: 'passkey' }, select: { id: true, credentialId: true, transports: true } }) : [];
    if (binding && allow.length === 0) throw fabricError('passkey_refused', 'This account has no passkey');
    const challenge = randomBytes(32).toString('base64url');
    const options = await generateAuthenticationOptions({
      rpID: relyingParty.rpId,
      challenge,
      timeout: MFA_TOKEN_TTL_SECONDS * 1000,
      userVerification: binding ? 'preferred' : 'required',
      allowCredentials: allow.map((f) => ({ id: f.credentialId!, ...(f.transports && { transports: f.transports }) })),
    });
    await this.challenges.storeChallenge('passkey_login', options.challenge, { userId: binding?.userId ?? null, parentId: binding?.mfaTokenId ?? null });
    return options;
  }

  /**
   * Checks a sign-in assertion: its challenge (spent first, so never twice), the passkey's
   * owner against the challenge's user, origin, RP ID, signature, user verification when
   * passwordless, and the counter, which is raised with a conditional UPDATE so two
   * instances cannot both accept the same or an older count.
   */
  async verifyAssertion(rawCredential: unknown): Promise<PasskeyAssertion & { challenge?: { userId: string | null; parentId: string | null } }> {
    const credential = parseAuthenticationCredential(rawCredential);
    const row = await this.challenges.takeChallenge('passkey_login', challengeOf(credential.response.clientDataJSON));
    if (!row) return { ok: false, reason: 'unknown, used or expired challenge' };
    const binding = { userId: row.userId, parentId: row.parentId };
    const fail = (reason: string, userId?: string) => ({ ok: false as const, reason, ...(userId && { userId }), challenge: binding });
    const factor = await this.factors.findOneBy({ credentialId: credential.id, type: 'passkey' });
    if (!factor) return fail('unknown passkey', row.userId ?? undefined);
    if (row.userId !== null && factor.userId !== row.userId) return fail('passkey of another user', row.userId);
    const passwordless = row.userId === null;
    if (credential.response.userHandle !== undefined && credential.response.userHandle !== Buffer.from(userHandleOf(factor.userId)).toString('base64url')) {
      return fail('user handle does not match the passkey', factor.userId);
    }
    const relyingParty = this.relyingParty();
    let verified;
    try {
      verified = await verifyAuthenticationResponse({
        response: credential,
        expectedChallenge: (c) => sha256(c, 'hex') === row.secretHash,
        expectedOrigin: relyingParty.origins,
        expectedRPID: relyingParty.rpId,
        credential: {
          id: factor.credentialId!,
          publicKey: Uint8Array.from(Buffer.from(factor.publicKey!, 'base64url')),
          counter: factor.signCount,
          ...(factor.transports && { transports: factor.transports }),
        },
        requireUserVerification: passwordless,
      });
    } catch (error) {
      return fail((error as Error).message.slice(0, 200), factor.userId);
    }
    if (!verified.verified) return fail('signature not verified', factor.userId);
    const counter = verified.authenticationInfo.newCounter;
    const raised = await this.factors
      .createQueryBuilder()
      .update(MfaFactorEntity)
      .set({ signCount: counter, lastUsedAt: new Date(this.clock.now()), backedUp: verified.authenticationInfo.credentialBackedUp })
      .where('id = :id', { id: factor.id })
      // Authenticators that keep no counter send 0 forever; any other value must grow.
      .andWhere('(sign_count < :counter OR (sign_count = 0 AND :counter = 0))', { counter })
      .execute();
    if (raised.affected !== 1) return fail('signature counter did not increase (cloned authenticator?)', factor.userId);
    return { ok: true, user: { id: factor.userId }, factorId: factor.id, userVerified: verified.authenticationInfo.userVerified, challenge: binding };
  }

  private async auditFailure(actor: Principal, userId: string, ceremony: string, reason: string, request: HttpRequestLike): Promise<void> {
    await this.audit.record({
      action: 'mfa.failure',
      outcome: 'failure',
      actor,
      target: { type: 'user', id: userId },
      request,
      details: { purpose: `passkey_${ceremony}`, reason: reason.slice(0, 200) },
    });
  }
}
