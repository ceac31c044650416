import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { applyFabricHttpHardening } from 'nestjs-fabric-auth';
import { DEFAULT_SERVER_TIMEOUTS } from '../../libs/fabric-auth/src/http/server-lifecycle.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, adapterOf, DATABASES, databaseOf, startTestApp, type TestApp } from '../support/test-app.js';

/** A raw connection, to send a request as slowly as an attacker would and see what the server does. */
class RawConnection {
  readonly socket: Socket;
  received = '';
  readonly closed: Promise<number>;
  private readonly opened = performance.now();

  constructor(url: string) {
    const { port, hostname } = new URL(url);
    this.socket = connect(Number(port), hostname);
    this.socket.setEncoding('latin1');
    this.socket.on('data', (chunk: string) => (this.received += chunk));
    this.socket.on('error', (error) => (this.received += `\n<error ${(error as NodeJS.ErrnoException).code}>`));
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve(performance.now() - this.opened)));
  }

  /** Sends `text` a piece every `everyMs` until the connection closes or `text` is sent. */
  async trickle(text: string, everyMs: number): Promise<void> {
    for (const piece of text) {
      if (this.socket.destroyed || this.socket.writableEnded) return;
      this.socket.write(piece);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }

  /** Sends one whole request and waits for its whole answer (a body-less or small JSON answer). */
  async exchange(request: string): Promise<string> {
    const before = this.received.length;
    this.socket.write(request);
    for (let i = 0; i < 200; i++) {
      const answer = this.received.slice(before);
      const length = /content-length: (\d+)/i.exec(answer);
      const headEnd = answer.indexOf('\r\n\r\n');
      if (length && headEnd >= 0 && answer.length - headEnd - 4 >= Number(length[1])) return answer;
      if (answer.includes('<error') || this.socket.destroyed) return answer;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.received.slice(before);
  }
}

const GET_ME = `GET ${API}/auth/me HTTP/1.1\r\nHost: localhost\r\n\r\n`;
const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);

/** SEC-104: the server's timeouts are set (short ones here, to stay fast) and do what they say. */
describe.each(DATABASES.filter((t) => databaseOf(t) === 'sqlite'))('server timeouts on %s (SEC-104)', (target) => {
  describe('the defaults', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(target);
    });
    afterAll(async () => t?.close());

    it('are applied to the server: headers ≤ 30 s, request ≤ 60 s, keep-alive above a 60 s proxy idle timeout', () => {
      const server = t.app.getHttpServer() as Server & { connectionsCheckingInterval: number };
      expect({ headers: server.headersTimeout, request: server.requestTimeout, keepAlive: server.keepAliveTimeout }).toEqual({
        headers: DEFAULT_SERVER_TIMEOUTS.headersTimeoutMs,
        request: DEFAULT_SERVER_TIMEOUTS.requestTimeoutMs,
        keepAlive: DEFAULT_SERVER_TIMEOUTS.keepAliveTimeoutMs,
      });
      // Node checks the timers on this interval: the time to cut a request is the timeout plus at most one interval.
      expect(server.headersTimeout + server.connectionsCheckingInterval).toBeLessThanOrEqual(30_000);
      expect(server.requestTimeout + server.connectionsCheckingInterval).toBeLessThanOrEqual(60_000);
      expect(server.keepAliveTimeout).toBeGreaterThan(60_000);
    });
  });

  describe('short timeouts (headers 600 ms, request 1200 ms, keep-alive 3000 ms)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(target, { http: { headersTimeoutMs: 600, requestTimeoutMs: 1200, keepAliveTimeoutMs: 3000 } });
    });
    afterAll(async () => t?.close());

    it('headers sent slowly are cut with 408 once the headers timeout passes', async () => {
      const slow = new RawConnection(t.url);
      void slow.trickle(`GET ${API}/auth/me HTTP/1.1\r\nHost: localhost\r\n${'X-Slow: 1\r\n'.repeat(100)}`, 50);
      const closedAfter = await slow.closed;
      expect(statusOf(slow.received)).toBe(408);
      expect(closedAfter).toBeGreaterThanOrEqual(550);
      expect(closedAfter).toBeLessThan(1500);
    });

    it('a body sent slowly is cut with 408 once the request timeout passes', async () => {
      const slow = new RawConnection(t.url);
      const body = JSON.stringify({ grant_type: 'password', username: 'someone', password: 'x'.repeat(200) });
      slow.socket.write(`POST ${API}/auth/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      void slow.trickle(body, 50);
      const closedAfter = await slow.closed;
      expect(statusOf(slow.received)).toBe(408);
      expect(closedAfter).toBeGreaterThanOrEqual(1150);
      expect(closedAfter).toBeLessThan(2200);
    });

    it('a kept-alive socket reused after longer than the headers and request timeouts is answered, never reset', async () => {
      const client = new RawConnection(t.url);
      for (let round = 0; round < 3; round++) {
        expect(statusOf(await client.exchange(GET_ME))).toBe(401);
        // Idle past both request timers, below the keep-alive timeout: as a proxy reuses a pooled socket.
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
      expect(statusOf(await client.exchange(GET_ME))).toBe(401);
      expect(client.received).not.toContain('<error');
      expect(client.socket.destroyed).toBe(false);
      client.socket.destroy();
    });

    it('an idle kept-alive socket is closed by the server after the keep-alive timeout, not before', async () => {
      const client = new RawConnection(t.url);
      expect(statusOf(await client.exchange(GET_ME))).toBe(401);
      const answeredAt = performance.now();
      await client.closed;
      const closedAfter = performance.now() - answeredAt;
      expect(client.received).not.toContain('<error');
      expect(closedAfter).toBeGreaterThanOrEqual(2900);
      expect(closedAfter).toBeLessThan(5000);
    });
  });

  it('refuses a headers timeout beyond the request timeout, and a timeout that is not a positive whole number', async () => {
    @Module({})
    class EmptyModule {}
    const app =
      adapterOf(target) === 'fastify'
        ? await NestFactory.create(EmptyModule, new FastifyAdapter(), { logger: false })
        : await NestFactory.create(EmptyModule, { logger: false, bodyParser: false });
    try {
      expect(() => applyFabricHttpHardening(app, { headersTimeoutMs: 5000, requestTimeoutMs: 1000 })).toThrow(/headersTimeoutMs must not exceed requestTimeoutMs/);
      expect(() => applyFabricHttpHardening(app, { keepAliveTimeoutMs: 0 })).toThrow(/keepAliveTimeoutMs must be a positive whole number/);
      expect(() => applyFabricHttpHardening(app, { shutdownDrainMs: 1.5 })).toThrow(/shutdownDrainMs must be a positive whole number/);
    } finally {
      await app.close();
    }
  });
});
