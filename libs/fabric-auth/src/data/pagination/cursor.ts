import type { ListRequest, ResumePoint } from './list-request.js';
import { constantTimeEqual, deriveKey, hmacSha256, sha256 } from '../../core/crypto.js';
import { fabricError } from '../../core/fabric-error.js';

/** What a `next_cursor` carries: where the page ended, and what it is bound to. */
export interface CursorPayload extends ResumePoint {
  /** list */
  l: string;
  /** sort name */
  s: string;
  /** digest of the filters */
  f: string;
  /** rows before the next page when it was made (the next page's `offset`) */
  p: number;
}

/**
 * Opaque, MACed cursors bound to the list, sort and filters that made them: anything else
 * (tampered, another list, other filters) is a 400, never a page of some other query.
 */
export class CursorCodec {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    this.key = deriveKey(secretKey, 'fabric-auth list cursor');
  }

  encode(payload: CursorPayload): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  decode(raw: string, request: Pick<ListRequest, 'list' | 'sortName'>, filterDigest: string): CursorPayload {
    const [body, mac] = raw.split('.');
    if (!constantTimeEqual(this.mac(body), mac ?? '')) throw fabricError('invalid_cursor', 'cursor is not valid');
    let payload: CursorPayload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as CursorPayload;
    } catch {
      throw fabricError('invalid_cursor', 'cursor is not valid');
    }
    if (!isCursorPayload(payload)) throw fabricError('invalid_cursor', 'cursor is not valid');
    if (payload.l !== request.list || payload.s !== request.sortName || payload.f !== filterDigest) {
      throw fabricError('invalid_cursor', 'cursor was made for another list, sort or filter: start again without it');
    }
    return payload;
  }

  private mac(body: string): string {
    return hmacSha256(this.key, body, 'base64url').slice(0, 22);
  }
}

/** The filters a cursor is bound to: absent ones left out, order of keys irrelevant. */
export function filterDigest(filters: ListRequest['filters']): string {
  const present = Object.entries(filters)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return sha256(JSON.stringify(present), 'base64url').slice(0, 16);
}

function isCursorPayload(value: unknown): value is CursorPayload {
  const p = value as Partial<CursorPayload> | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.l === 'string' &&
    typeof p.s === 'string' &&
    typeof p.f === 'string' &&
    typeof p.i === 'string' &&
    (p.k === null || typeof p.k === 'string') &&
    Number.isSafeInteger(p.p) &&
    p.p! >= 0 &&
    (p.c === undefined || typeof p.c === 'string')
  );
}
