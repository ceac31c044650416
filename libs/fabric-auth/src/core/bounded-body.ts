import { FabricError } from './fabric-error.js';

/** A remote party's answer was larger than the reader allows. */
export class BodyTooLargeError extends FabricError {
  constructor(
    readonly limit: number,
    declared?: number,
  ) {
    super('remote_answer_too_large', declared === undefined ? `body over ${limit} bytes` : `body of ${declared} bytes (limit ${limit})`);
  }
}

/**
 * The body of a response from another party (an IdP's metadata, a key set, a discovery document,
 * a webhook receiver's answer) as UTF-8 text, read up to `limit` bytes: a declared length past it is
 * refused before anything is read, and a body without one (chunked) is cut off as soon as it
 * passes it, so a hostile or broken server never makes us buffer more than `limit`.
 */
export async function readBoundedText(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > limit) {
    await response.body?.cancel();
    throw new BodyTooLargeError(limit, declared);
  }
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new BodyTooLargeError(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
