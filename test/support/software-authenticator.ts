import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

/** Just enough CBOR (RFC 8949) for attestation objects and COSE keys. */
function cbor(value: unknown): Buffer {
  const head = (major: number, n: number): Buffer => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 256) return Buffer.from([(major << 5) | 24, n]);
    if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
  };
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), Buffer.from(value)]);
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value as object);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest();

export interface SoftwareCredential {
  id: Buffer;
  privateKey: KeyObject;
  userHandle: string;
  counter: number;
}

const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

/**
 * A software WebAuthn authenticator (ES256, attestation `none`) for API-level tests: it
 * builds what a browser sends back from `navigator.credentials.create()` / `.get()`, and
 * lets a test tamper with what a real one never would (origin, RP ID, counter, flags).
 */
export class SoftwareAuthenticator {
  readonly credentials: SoftwareCredential[] = [];

  /** `origin`: the page the browser would be on (`TestApp.origin`: the app's public base URL, else its listening port). */
  constructor(
    readonly origin: string,
    readonly rpId = 'localhost',
  ) {}

  create(options: { challenge: string; user: { id: string } }, tamper: { origin?: string; rpId?: string; type?: string } = {}): Record<string, unknown> {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = cbor(
      new Map<number, unknown>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const id = randomBytes(16);
    const credIdLength = Buffer.alloc(2);
    credIdLength.writeUInt16BE(id.length);
    const authData = Buffer.concat([sha256(tamper.rpId ?? this.rpId), Buffer.from([UP | UV | AT]), Buffer.alloc(4), Buffer.alloc(16), credIdLength, id, cose]);
    const clientData = JSON.stringify({ type: tamper.type ?? 'webauthn.create', challenge: options.challenge, origin: tamper.origin ?? this.origin, crossOrigin: false });
    const credential = { id, privateKey, userHandle: options.user.id, counter: 0 };
    this.credentials.push(credential);
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(Buffer.from(clientData)),
        attestationObject: b64url(cbor({ fmt: 'none', attStmt: {}, authData })),
        transports: ['internal'],
      },
    };
  }

  /** An assertion for `options`; by default the most recently created credential, with its counter raised by one. */
  get(
    options: { challenge: string; rpId?: string },
    use: { credential?: SoftwareCredential; userVerified?: boolean; counter?: number; origin?: string; rpId?: string; withUserHandle?: boolean } = {},
  ): Record<string, unknown> {
    const credential = use.credential ?? this.credentials.at(-1)!;
    credential.counter = use.counter ?? credential.counter + 1;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(credential.counter);
    const authData = Buffer.concat([sha256(use.rpId ?? this.rpId), Buffer.from([UP | (use.userVerified === false ? 0 : UV)]), count]);
    const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin: use.origin ?? this.origin, crossOrigin: false }));
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), credential.privateKey);
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key',
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
      response: {
        clientDataJSON: b64url(clientData),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(use.withUserHandle !== false && { userHandle: credential.userHandle }),
      },
    };
  }
}
