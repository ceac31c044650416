import { generateSecret, generateURI, verifySync } from 'otplib';
import qrcode from 'qrcode-generator';

/** RFC 6238 defaults every authenticator app understands: SHA-1, 6 digits, 30 s. */
export const TOTP_PERIOD_SECONDS = 30;
const CODE = /^\d{6}$/;

export function newTotpSecret(): string {
  // 20 bytes (160 bits), RFC 4226's recommended length for SHA-1.
  return generateSecret({ length: 20 });
}

export function totpUri(issuer: string, account: string, secret: string): string {
  return generateURI({ issuer, label: account, secret, period: TOTP_PERIOD_SECONDS, digits: 6, algorithm: 'sha1' });
}

/** The URI as a QR code, an SVG data URI an `<img src>` shows without any script. */
export function qrCodeDataUri(text: string): string {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const svg = qr.createSvgTag({ cellSize: 4, margin: 4, scalable: true });
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}

/**
 * The time step `code` is valid for at `nowMs`, within ±1 step of skew and after
 * `afterStep` (a step already used is never accepted again); undefined when it is not.
 */
export function matchingTotpStep(secret: string, code: string, nowMs: number, afterStep: number | null): number | undefined {
  if (!CODE.test(code)) return undefined;
  try {
    const result = verifySync({
      secret,
      token: code,
      epoch: Math.floor(nowMs / 1000),
      period: TOTP_PERIOD_SECONDS,
      epochTolerance: TOTP_PERIOD_SECONDS,
      ...(afterStep !== null && { afterTimeStep: afterStep }),
    });
    // The union also covers HOTP's result; with the TOTP strategy a valid result carries its step.
    return result.valid ? (result as { timeStep: number }).timeStep : undefined;
  } catch {
    return undefined;
  }
}
