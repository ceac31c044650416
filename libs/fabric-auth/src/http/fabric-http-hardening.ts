import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { BadRequestException, type INestApplication, UnsupportedMediaTypeException } from '@nestjs/common';
import type { HelmetOptions } from 'helmet';
import { FabricExceptionFilter } from './fabric-exception.filter.js';
import { refusedContent, textProblem } from './validation.js';
import { DEFAULT_MAX_JSON_DEPTH, jsonBodyProblem } from './json-depth.js';
import { applyServerTimeouts, type FabricServerTimeouts, resolveServerTimeouts, trackConnectionsForDrain } from './server-lifecycle.js';
import { fabricError } from '../core/fabric-error.js';

const require = createRequire(import.meta.url);

/** helmet, required when the hardening is applied: an app that never calls it does not load it. */
function loadHelmet(): typeof import('helmet').default {
  return (require('helmet') as typeof import('helmet')).default;
}

/** Largest JSON or form body accepted by default, in bytes; larger ones get 413. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
 * Security headers for an API that also serves Swagger UI and small same-origin pages:
 * nothing framed, no referrer, HSTS for a year (browsers ignore it over plain HTTP).
 *
 * @publicApi
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

/** @publicApi */
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
interface FastifyRequestLike {
  raw: IncomingMessage;
  url: string;
  query: unknown;
  headers: IncomingMessage['headers'];
}
interface FastifyLike {
  addHook(name: 'onRequest' | 'preValidation', hook: (request: FastifyRequestLike, reply: { raw: ServerResponse }, done: Next) => void): unknown;
  getDefaultJsonParser(onProto: 'ignore', onConstructor: 'ignore'): (request: unknown, body: Buffer, done: ParserDone) => void;
}
type ParserDone = (error: Error | null, body?: unknown) => void;
interface BodyParserApp {
  useBodyParser(type: string | string[], options: object, parser?: (request: FastifyRequestLike, body: Buffer, done: ParserDone) => void): unknown;
}

/** JSON bodies, and SCIM's (`application/scim+json`, RFC 7644 §3.1), which identity providers send. */
const JSON_MEDIA_TYPES = ['application/json', 'application/scim+json'];

function refusal(body: unknown, maxDepth: number): BadRequestException | null {
  const problem = jsonBodyProblem(body, maxDepth);
  if (problem) return fabricError('invalid_request', problem);
  const inText = refusedContent(body, 'body', false);
  return inText ? fabricError('invalid_request', inText) : null;
}

/**
 * NUL or lone surrogates in the path or the query string (SEC-116): refused before any route
 * runs, whichever handler or pipe it has, instead of reaching a query the database refuses.
 */
function urlRefusal(url: string | undefined, query: unknown): BadRequestException | null {
  const [path = '', rawQuery = ''] = (url ?? '').split('?', 2);
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return fabricError('invalid_request', 'path is not valid percent-encoded UTF-8');
  }
  const inPath = textProblem(decoded);
  if (inPath) return fabricError('invalid_request', `path ${inPath}`);
  // Query parsers turn an encoded surrogate (%ED%A0%80) into U+FFFD without a word: refuse it instead.
  if (!percentEncodedUtf8(rawQuery)) return fabricError('invalid_request', 'query is not valid percent-encoded UTF-8');
  const inQuery = refusedContent(query, 'query', false);
  return inQuery ? fabricError('invalid_request', inQuery) : null;
}

const ESCAPE_RUN = /(?:%[0-9a-f]{2})+/gi;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Whether every run of percent escapes in `raw` spells valid UTF-8 (stray `%` signs are the parser's business). */
function percentEncodedUtf8(raw: string): boolean {
  for (const run of raw.match(ESCAPE_RUN) ?? []) {
    const bytes = Uint8Array.from(run.slice(1).split('%'), (hex) => Number.parseInt(hex, 16));
    try {
      STRICT_UTF8.decode(bytes);
    } catch {
      return false;
    }
  }
  return true;
}

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/**
 * Fastify parses every JSON body as UTF-8 whatever charset it names: a body in another one (or
 * a made-up one) is refused with 415, as Express's body-parser refuses one it cannot decode.
 */
function charsetRefusal(contentType: unknown): UnsupportedMediaTypeException | null {
  const charset = typeof contentType === 'string' ? CHARSET.exec(contentType)?.[1]?.toLowerCase() : undefined;
  return charset === undefined || charset === 'utf-8' || charset === 'utf8' ? null : fabricError('unsupported_media_type', `unsupported charset "${charset.toUpperCase()}"`);
}

/**
 * The HTTP hardening the demo runs with, for a host app in one call, on Express or Fastify:
 * security headers (helmet) on every answer, a body limit on JSON and form bodies,
 * a JSON nesting limit and no `__proto__` keys (400), no NUL or lone surrogate in the path, query
 * or body (400), JSON bodies in UTF-8 only and only objects or arrays (Fastify as Express),
 * `FabricExceptionFilter`, and Express's `x-powered-by` off and
 * flat query strings (`a[b]=c` stays a string, as Fastify parses it); server timeouts
 * (`DEFAULT_SERVER_TIMEOUTS`) and a bounded drain of keep-alive connections when the app
 * shuts down (`app.close()`, or a signal with `enableShutdownHooks()`). Call it after
 * `NestFactory.create` and before `app.init()`/`app.listen()`; the body parsers it
 * installs replace Nest's default ones, whatever `bodyParser` was given.
 *
 * @publicApi
 */
export function applyFabricHttpHardening(app: INestApplication, options: FabricHttpHardeningOptions = {}): void {
  if ((app as unknown as { isInitialized?: boolean }).isInitialized) {
    throw new Error('applyFabricHttpHardening(app) must run before app.init() or app.listen()');
  }
  const timeouts = resolveServerTimeouts(options);
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const maxDepth = options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
  const headers = options.securityHeaders === false ? null : loadHelmet()(options.securityHeaders ?? DEFAULT_SECURITY_HEADERS);
  const adapter = app.getHttpAdapter();
  const parsers = app as unknown as BodyParserApp;
  const type = adapter.getType();
  if (type === 'express') {
    const express = adapter.getInstance() as ExpressLike;
    express.disable('x-powered-by');
    express.set('query parser', 'simple');
    if (headers) express.use(headers);
    parsers.useBodyParser('json', { limit: bodyLimit, type: JSON_MEDIA_TYPES });
    parsers.useBodyParser('urlencoded', { limit: bodyLimit, extended: false });
    express.use((request, _response, next) => next(urlRefusal(request.url, (request as { query?: unknown }).query) ?? refusal(request.body, maxDepth) ?? undefined));
  } else if (type === 'fastify') {
    const fastify = adapter.getInstance() as FastifyLike;
    if (headers) fastify.addHook('onRequest', (request, reply, done) => headers(request.raw, reply.raw, done));
    // Prototype keys are refused by the same check as on Express, so both answer alike.
    const json = fastify.getDefaultJsonParser('ignore', 'ignore');
    fastify.addHook('preValidation', (request, _reply, done) => done(urlRefusal(request.url, request.query) ?? undefined));
    parsers.useBodyParser(JSON_MEDIA_TYPES, { bodyLimit }, (request, body, done) => {
      const badCharset = charsetRefusal(request.headers['content-type']);
      if (badCharset) return done(badCharset);
      // An empty JSON body (a bodiless POST sent with the header) is `{}`, as on Express; Fastify's own parser answers 400.
      if (body.length === 0) return done(null, {});
      json(request, body, (error, value) => {
        // Express's parser is strict: a bare `null`, number or string is no body to apply (400).
        if (!error && (typeof value !== 'object' || value === null)) return done(fabricError('invalid_request', 'body must be a JSON object or array'));
        done(error ?? refusal(value, maxDepth), value);
      });
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
