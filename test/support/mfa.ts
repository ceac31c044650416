import { generateSync } from 'otplib';
import { API, type TestApp } from './test-app.js';

/** The code an authenticator app would show `steps` periods away from the app's (test) clock. */
export function totpCode(secret: string, nowMs: number, steps = 0): string {
  return generateSync({ secret, epoch: Math.floor(nowMs / 1000) + steps * 30, period: 30 });
}

/** Moves the test clock to the start of the next 30-second step, so a fresh code is never the last one used. */
export function nextStep(t: TestApp): void {
  const now = t.clock.now();
  t.clock.advance((30_000 - (now % 30_000)) / 1000 + 0.001);
}

export interface EnrolledUser {
  username: string;
  userId: string;
  password: string;
  /** Bearer token of the session that enrolled the factor. */
  token: string;
  secret: string;
  recoveryCodes: string[];
}

/** A fresh user with TOTP enrolled and confirmed (and so ten recovery codes). */
export async function userWithTotp(t: TestApp, roles: string[] = []): Promise<EnrolledUser> {
  const { user, password, token } = await t.actor(roles);
  const started = await t.http.post(`${API}/users/${user.username}/mfa/totp`).auth(token, { type: 'bearer' });
  if (started.status !== 201) throw new Error(`enrol: ${started.status} ${JSON.stringify(started.body)}`);
  const secret = started.body.secret as string;
  const confirmed = await t.http
    .post(`${API}/users/${user.username}/mfa/totp/confirm`)
    .auth(token, { type: 'bearer' })
    .send({ code: totpCode(secret, t.clock.now()) });
  if (confirmed.status !== 200) throw new Error(`confirm: ${confirmed.status} ${JSON.stringify(confirmed.body)}`);
  nextStep(t);
  return { username: user.username, userId: user.id, password, token, secret, recoveryCodes: confirmed.body.recovery_codes };
}

/** The `mfa_token` of a password login of a user with a factor. */
export async function firstStep(t: TestApp, username: string, password: string): Promise<string> {
  const res = await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'password', username, password });
  if (res.status !== 400 || res.body.error !== 'mfa_required') throw new Error(`first step: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.mfa_token as string;
}

/** A session of `u` whose login has just used TOTP: stepped up (`auth.mfa.step_up_seconds`). */
export async function steppedUpSession(t: TestApp, u: Pick<EnrolledUser, 'username' | 'password' | 'secret'>): Promise<{ access_token: string; refresh_token: string }> {
  nextStep(t);
  const mfaToken = await firstStep(t, u.username, u.password);
  const res = await t.http
    .post(`${API}/auth/token`)
    .type('form')
    .send({ grant_type: 'mfa_otp', mfa_token: mfaToken, otp: totpCode(u.secret, t.clock.now()) });
  if (res.status !== 200) throw new Error(`second step: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
