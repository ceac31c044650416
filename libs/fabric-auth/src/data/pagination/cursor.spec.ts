import { describe, expect, it } from 'vitest';
import { FabricError } from '../../core/fabric-error.js';
import { CursorCodec, type CursorPayload, filterDigest } from './cursor.js';

const codec = new CursorCodec('a secret key of the test, long enough');
const request = { list: 'users', sortName: 'created_at' };
const digest = filterDigest({ q: 'ada', is_active: undefined });
const payload: CursorPayload = { l: 'users', s: 'created_at', f: digest, k: '2026-01-01 00:00:00.123456', i: 'id-1', p: 50 };

const refused = (raw: string, message: RegExp, req = request, f = digest) => {
  try {
    codec.decode(raw, req, f);
  } catch (error) {
    expect(error).toBeInstanceOf(FabricError);
    expect((error as FabricError).code).toBe('invalid_cursor');
    expect((error as FabricError).getStatus()).toBe(400);
    expect((error as Error).message).toMatch(message);
    return;
  }
  throw new Error('decoded');
};

describe('list cursors', () => {
  it('decode what they encoded, a NULL key and a section included', () => {
    expect(codec.decode(codec.encode(payload), request, digest)).toEqual(payload);
    const inSection = { ...payload, k: null, c: 'email' };
    expect(codec.decode(codec.encode(inSection), request, digest)).toEqual(inSection);
  });

  it('are refused when tampered with, forged under another secret or malformed', () => {
    const [body, mac] = codec.encode(payload).split('.');
    const forged = Buffer.from(JSON.stringify({ ...payload, p: 0 })).toString('base64url');
    refused(`${forged}.${mac}`, /not valid/);
    refused(new CursorCodec('another secret key, also long enough').encode(payload), /not valid/);
    refused(`${body}`, /not valid/);
    const bad = new CursorCodec('a secret key of the test, long enough').encode({ ...payload, p: -1 });
    refused(bad, /not valid/);
  });

  it('serve only the list, sort and filters that made them', () => {
    const raw = codec.encode(payload);
    refused(raw, /another list, sort or filter/, { list: 'roles', sortName: 'created_at' });
    refused(raw, /another list, sort or filter/, { list: 'users', sortName: '-created_at' });
    refused(raw, /another list, sort or filter/, request, filterDigest({ q: 'bob' }));
  });

  it('bind filters by value, whatever their order, absent ones left out', () => {
    expect(filterDigest({ a: 1, b: 'x', c: undefined })).toBe(filterDigest({ b: 'x', a: 1 }));
    expect(filterDigest({ a: 1 })).not.toBe(filterDigest({ a: '1' }));
    expect(filterDigest({ a: null })).not.toBe(filterDigest({}));
  });
});
