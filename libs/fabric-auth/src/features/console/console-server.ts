import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import { DEFAULT_OIDC_PROVIDER, type ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { FabricConfigError } from '../../options/fabric-config.error.js';
import { type ConsoleAnswer, ConsoleAssets, type ConsolePageFacts } from './console-assets.js';

export const CONSOLE_ROUTE_PREFIX = Symbol('CONSOLE_ROUTE_PREFIX');

type Next = (error?: unknown) => void;
interface ExpressLike {
  use(handler: (request: IncomingMessage & { originalUrl?: string }, response: ServerResponse, next: Next) => void): unknown;
}
interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  send(body: Buffer): unknown;
  callNotFound(): void;
}
interface FastifyLike {
  route(route: { method: string; url: string; handler: (request: { method: string; url: string; headers: IncomingMessage['headers'] }, reply: FastifyReplyLike) => void }): unknown;
}

const pathnameOf = (url: string) => url.split('?', 1)[0];
const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(', ') : value);

/**
 * Serves the console (`auth.console.path`) on the host's Express or Fastify instance. The path
 * is an option, known only once the options are resolved (after `forRootAsync`'s factory), too
 * late for a controller's path: the routes are added here, before Fastify is ready and, on
 * Express, before Nest's not-found handler. No guard runs: the page and its assets are public;
 * what the console shows comes from the API, under the person's own session.
 */
@Injectable()
export class ConsoleServer implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    @Inject(CONSOLE_ROUTE_PREFIX) private readonly routePrefix: string,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    // An application context without HTTP (the CLI) serves nothing.
    if (!adapter) return;
    const base = this.options.console.path;
    const apiBase = `/${this.routePrefix.replace(/^\/+|\/+$/g, '')}`;
    if (apiBase !== '/' && (base === apiBase || base.startsWith(`${apiBase}/`) || apiBase.startsWith(`${base}/`))) {
      throw new FabricConfigError([`auth.console.path: "${base}" overlaps the library's routes (${apiBase}); choose another path`]);
    }
    const assets = new ConsoleAssets(base, apiBase, undefined, pageFacts(this.options, apiBase));
    const type = adapter.getType();
    if (type === 'express') {
      adapter.getInstance<ExpressLike>().use((request, response, next) => {
        const answer = assets.answer(request.method ?? 'GET', pathnameOf(request.originalUrl ?? request.url ?? '/'), {
          acceptEncoding: header(request.headers['accept-encoding']),
          ifNoneMatch: header(request.headers['if-none-match']),
        });
        if (!answer) return next();
        sendRaw(response, answer);
      });
    } else if (type === 'fastify') {
      const fastify = adapter.getInstance<FastifyLike>();
      for (const url of [base, `${base}/*`]) {
        fastify.route({
          method: 'GET',
          url,
          handler: (request, reply) => {
            // Fastify answers HEAD itself from the GET answer (its length, no body): hand it the full one.
            const answer = assets.answer('GET', pathnameOf(request.url), {
              acceptEncoding: header(request.headers['accept-encoding']),
              ifNoneMatch: header(request.headers['if-none-match']),
            });
            if (!answer) return reply.callNotFound();
            // Fastify's own headers win over the ones helmet set on the raw response: this policy replaces the API's.
            reply.code(answer.status).headers(answer.headers).send(answer.body);
          },
        });
      }
    } else {
      throw new Error(`auth.console: unsupported HTTP adapter "${type}" (Express and Fastify are supported)`);
    }
  }
}

/** The optional features that are on (whose screens the console offers), and the SSO providers with their existing login routes. */
function pageFacts(options: ResolvedFabricAuthOptions, apiBase: string): ConsolePageFacts {
  const features = [
    ...(options.organizations.enabled ? ['organizations'] : []),
    ...(options.organizations.enabled && options.organizations.selfService ? ['organizations_self_service'] : []),
    ...(options.organizations.enabled && options.organizations.ssoConnections ? ['sso_connections'] : []),
    ...(options.webhooks.enabled ? ['webhooks'] : []),
  ];
  const sso = Object.entries(options.providers).map(([name, provider]) => {
    const route =
      provider.type === 'saml' ? `auth/saml/${encodeURIComponent(name)}/login` : name === DEFAULT_OIDC_PROVIDER ? 'auth/oidc/login' : `auth/oidc/${encodeURIComponent(name)}/login`;
    return { name, login: `${apiBase === '/' ? '' : apiBase}/${route}` };
  });
  return { features, sso };
}

function sendRaw(response: ServerResponse, answer: ConsoleAnswer): void {
  response.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) response.setHeader(name, value);
  response.end(answer.body);
}
