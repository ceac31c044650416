import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { BadRequestException, type INestApplication } from '@nestjs/common';
import helmet, { type HelmetOptions } from 'helmet';
import { FabricExceptionFilter } from '../common/fabric-exception.filter.js';
import { DEFAULT_MAX_JSON_DEPTH, jsonBodyProblem } from './json-depth.js';
import { applyServerTimeouts, type FabricServerTimeouts, resolveServerTimeouts, trackConnectionsForDrain } from './server-lifecycle.js';

/** Largest JSON or form body accepted by default, in bytes; larger ones get 413. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
 * Security headers for an API that also serves Swagger UI and small same-origin pages:
 * nothing framed, no referrer, HSTS for a year (browsers ignore it over plain HTTP).
 */
export const DEFAULT_SECURITY_HEADERS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      frameAncestors: ["'none'"],
      imgSrc: ["'self'", 'data:'],
      styleSrc: ["'self'", "'unsafe-inline'"],
      upgradeInsecureRequests: null,
    },
  },
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  referrerPolicy: { policy: 'no-referrer' },
};

export interface FabricHttpHardeningOptions extends Partial<FabricServerTimeouts> {
  /** Largest JSON or form body (and text body on Fastify), in bytes (default 65536); larger → 413. */
  bodyLimit?: number;
  /** Deepest JSON nesting of objects and arrays (default 32); deeper → 400 before any handler or pipe. */
  maxJsonDepth?: number;
  /** helmet options for the security headers (default `DEFAULT_SECURITY_HEADERS`); `false` leaves headers to the app. */
  securityHeaders?: HelmetOptions | false;
  /** Install `FabricExceptionFilter` as a global filter (default true). */
  exceptionFilter?: boolean;
}

type Next = (error?: unknown) => void;
interface ExpressLike {
  disable(setting: string): unknown;
  set(setting: string, value: unknown): unknown;
  use(handler: (request: IncomingMessage & { body?: unknown }, response: ServerResponse, next: Next) => void): unknown;
}
interface FastifyLike {
  addHook(name: 'onRequest', hook: (request: { raw: IncomingMessage }, reply: { raw: ServerResponse }, done: Next) => void): unknown;
  getDefaultJsonParser(onProto: 'ignore', onConstructor: 'ignore'): (request: unknown, body: Buffer, done: ParserDone) => void;
}
type ParserDone = (error: Error | null, body?: unknown) => void;
interface BodyParserApp {
  useBodyParser(type: string, options: object, parser?: (request: unknown, body: Buffer, done: ParserDone) => void): unknown;
}

function refusal(body: unknown, maxDepth: number): BadRequestException | null {
  const problem = jsonBodyProblem(body, maxDepth);
  return problem ? new BadRequestException(problem) : null;
}

/**
 * The HTTP hardening the demo runs with, for a host app in one call, on Express or Fastify:
 * security headers (helmet) on every answer, a body limit on JSON and form bodies,
 * a JSON nesting limit and no `__proto__` keys (400), `FabricExceptionFilter`, and Express's `x-powered-by` off and
 * flat query strings (`a[b]=c` stays a string, as Fastify parses it); server timeouts
 * (`DEFAULT_SERVER_TIMEOUTS`) and a bounded drain of keep-alive connections when the app
 * shuts down (`app.close()`, or a signal with `enableShutdownHooks()`). Call it after
 * `NestFactory.create` and before `app.init()`/`app.listen()`; the body parsers it
 * installs replace Nest's default ones, whatever `bodyParser` was given.
 */
export function applyFabricHttpHardening(app: INestApplication, options: FabricHttpHardeningOptions = {}): void {
  if ((app as unknown as { isInitialized?: boolean }).isInitialized) {
    throw new Error('applyFabricHttpHardening(app) must run before app.init() or app.listen()');
  }
  const timeouts = resolveServerTimeouts(options);
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const maxDepth = options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
  const headers = options.securityHeaders === false ? null : helmet(options.securityHeaders ?? DEFAULT_SECURITY_HEADERS);
  const adapter = app.getHttpAdapter();
  const parsers = app as unknown as BodyParserApp;
  const type = adapter.getType();
  if (type === 'express') {
    const express = adapter.getInstance() as ExpressLike;
    express.disable('x-powered-by');
    express.set('query parser', 'simple');
    if (headers) express.use(headers);
    parsers.useBodyParser('json', { limit: bodyLimit });
    parsers.useBodyParser('urlencoded', { limit: bodyLimit, extended: false });
    express.use((request, _response, next) => next(refusal(request.body, maxDepth) ?? undefined));
  } else if (type === 'fastify') {
    const fastify = adapter.getInstance() as FastifyLike;
    if (headers) fastify.addHook('onRequest', (request, reply, done) => headers(request.raw, reply.raw, done));
    // Prototype keys are refused by the same check as on Express, so both answer alike.
    const json = fastify.getDefaultJsonParser('ignore', 'ignore');
    parsers.useBodyParser('application/json', { bodyLimit }, (request, body, done) => {
      // An empty JSON body (a bodiless POST sent with the header) is `{}`, as on Express; Fastify's own parser answers 400.
      if (body.length === 0) return done(null, {});
      json(request, body, (error, value) => done(error ?? refusal(value, maxDepth), value));
    });
    parsers.useBodyParser('application/x-www-form-urlencoded', { bodyLimit });
    // Fastify parses text bodies itself (Express leaves them unread): same limit.
    parsers.useBodyParser('text/plain', { bodyLimit }, (_request, body, done) => done(null, body.toString('utf8')));
  } else {
    throw new Error(`applyFabricHttpHardening: unsupported HTTP adapter "${type}" (Express and Fastify are supported)`);
  }
  if (options.exceptionFilter !== false) app.useGlobalFilters(new FabricExceptionFilter(adapter));
  const server = adapter.getHttpServer() as Server;
  applyServerTimeouts(server, timeouts);
  // Nest calls the adapter's `beforeClose` first thing in `app.close()`, before any module is
  // destroyed: the connections are drained while the pools the requests use are still open.
  const drain = trackConnectionsForDrain(server, timeouts.shutdownDrainMs);
  const closing = adapter as unknown as { beforeClose?: () => unknown };
  const beforeClose = closing.beforeClose?.bind(adapter);
  closing.beforeClose = async () => {
    await beforeClose?.();
    await drain();
  };
}
