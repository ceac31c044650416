import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

const REQUEST_REPLY = Symbol('fabric-auth:reply');

interface FastifyHooks {
  addHook(name: 'onRequest', hook: (request: object, reply: object, done: () => void) => void): unknown;
}

/**
 * The response of a request, for code that only gets the request (a Passport strategy under
 * `AuthGuard`): Express links it as `request.res`; on Fastify, `FastifyReplyLink` does.
 */
export function responseOf(request: object): unknown {
  const r = request as { res?: unknown; [REQUEST_REPLY]?: unknown };
  return r.res ?? r[REQUEST_REPLY];
}

/** Links each Fastify request to its reply, which Fastify does not expose from the request. */
@Injectable()
export class FastifyReplyLink implements OnModuleInit {
  private static readonly linked = new WeakSet<object>();

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** Runs before Fastify is ready, which is when it binds hooks to the routes registered so far. */
  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    const fastify = adapter.getInstance<FastifyHooks>();
    if (FastifyReplyLink.linked.has(fastify)) return;
    FastifyReplyLink.linked.add(fastify);
    fastify.addHook('onRequest', (request, reply, done) => {
      (request as { [REQUEST_REPLY]?: unknown })[REQUEST_REPLY] = reply;
      done();
    });
  }
}
