import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BodyTooLargeError, readBoundedText } from './bounded-body.js';

describe('readBoundedText', () => {
  let server: Server;
  let base: string;
  /** Bytes the server managed to write to the last chunked response before the client went away. */
  let written = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const size = Number(new URL(request.url!, 'http://x').searchParams.get('size'));
      if (request.url!.startsWith('/declared')) {
        response.writeHead(200, { 'content-length': String(size) });
        response.end('x'.repeat(size));
        return;
      }
      // Chunked, no length: 64 KiB at a time for as long as the client reads.
      written = 0;
      response.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 'y');
      const pump = (): void => {
        while (written < size) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads a body within the limit, declared or chunked', async () => {
    expect(await readBoundedText(await fetch(`${base}/declared?size=1000`), 1000)).toBe('x'.repeat(1000));
    expect((await readBoundedText(await fetch(`${base}/chunked?size=131072`), 200_000)).length).toBe(131072);
  });

  it('refuses a declared length past the limit before reading it', async () => {
    await expect(readBoundedText(await fetch(`${base}/declared?size=1001`), 1000)).rejects.toThrow(new BodyTooLargeError(1000, 1001));
  });

  it('cuts a chunked body off once it passes the limit, without reading the rest', async () => {
    const huge = 512 * 1024 * 1024;
    await expect(readBoundedText(await fetch(`${base}/chunked?size=${huge}`), 256 * 1024)).rejects.toThrow(BodyTooLargeError);
    // The server stopped long before its 512 MiB: the reader went away.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });
});
