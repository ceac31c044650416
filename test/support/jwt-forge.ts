import { createHmac, randomUUID } from 'node:crypto';

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** Builds a compact JWS by hand, so tests can sign anything with any header (SECURITY.md `forge`). */
export function forge(header: Record<string, unknown>, claims: Record<string, unknown>, key: string | Buffer, alg = 'sha256'): string {
  const signingInput = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
  const signature = key === '' ? '' : createHmac(alg, key).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

export function claimsFor(userId: string, sessionId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'nestjs-fabric-auth',
    aud: 'nestjs-fabric-auth',
    sub: userId,
    sid: sessionId,
    typ: 'access',
    jti: randomUUID(),
    iat: now,
    nbf: now,
    exp: now + 600,
    ...overrides,
  };
}

export function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}
