import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** When its answer was sent (undefined while the receiver is still "working" on it). */
  answeredAt?: number;
  status?: number;
}

/**
 * A webhook receiver on loopback: records every request, answers what `answer` says (200 by
 * default), after `delayMs` (a slow receiver).
 */
export class Receiver {
  readonly received: Received[] = [];
  answer: (received: Received, index: number) => number = () => 200;
  delayMs = 0;
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const received: Received = { headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
        this.received.push(received);
        const status = this.answer(received, this.received.length - 1);
        const reply = () => {
          if (response.destroyed) return;
          received.answeredAt = Date.now();
          received.status = status;
          response.statusCode = status;
          response.end('ok');
        };
        if (this.delayMs > 0) setTimeout(reply, this.delayMs);
        else reply();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/hook`;
    return this;
  }

  of(type: string): Received[] {
    return this.received.filter((r) => (JSON.parse(r.body) as { type: string }).type === type);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
