import { createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';

/** A key pair and a self-signed X.509 certificate for it, PEM, as an IdP or an SP holds them. */
export interface KeyAndCertificate {
  privateKey: string;
  certificate: string;
  /** The certificate's base64 DER, as metadata and KeyInfo carry it. */
  certificateBase64: string;
}

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, content: Buffer) => Buffer.concat([Buffer.from([tag]), length(content.length), content]);
const sequence = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
function positiveSerial(): Buffer {
  const serial = randomBytes(12);
  serial[0] = (serial[0] & 0x7f) | 0x01;
  return serial;
}
const integer = (value: Buffer) => tlv(0x02, value[0] & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value);
const utcTime = (date: Date) => tlv(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-:T]/g, '')}Z`));

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const part of rest) {
    const chunk = [part & 0x7f];
    for (let v = part >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function name(commonName: string): Buffer {
  return sequence(tlv(0x31, sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName)))));
}

/**
 * A fresh RSA key and a self-signed certificate for it (sha256WithRSAEncryption, valid from
 * yesterday for a year), built with node:crypto alone: XML signatures only need the
 * certificate as the carrier of the public key.
 */
export function selfSignedCertificate(commonName: string): KeyAndCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const algorithm = sequence(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
  const now = Date.now();
  const tbs = sequence(
    tlv(0xa0, integer(Buffer.from([2]))),
    // A serial starting 0x00 then < 0x80 would be a non-minimal INTEGER, which OpenSSL refuses ("illegal padding").
    integer(positiveSerial()),
    algorithm,
    name(commonName),
    sequence(utcTime(new Date(now - 86_400_000)), utcTime(new Date(now + 365 * 86_400_000))),
    name(commonName),
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = sequence(tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const certificateBase64 = der.toString('base64');
  const certificate = `-----BEGIN CERTIFICATE-----\n${certificateBase64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  // Parsed once, so a mistake in the encoding fails here rather than as a signature mismatch.
  if (!new X509Certificate(certificate).checkPrivateKey(createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }))))
    throw new Error('certificate does not match its key');
  return { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, certificate, certificateBase64 };
}
