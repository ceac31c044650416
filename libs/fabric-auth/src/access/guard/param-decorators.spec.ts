import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../core/principal.js';
import { CurrentOrg } from './org-scoped.decorator.js';
import { attachPrincipal, CurrentPrincipal } from '../principal/current-principal.decorator.js';

/** The factory Nest calls for a param decorator, as the router reads it from the route's metadata. */
function factoryOf(decorator: () => ParameterDecorator): (data: unknown, context: ExecutionContextHost) => unknown {
  class Probe {
    handler(_value: unknown): void {}
  }
  decorator()(Probe.prototype, 'handler', 0);
  const metadata = Reflect.getMetadata(ROUTE_ARGS_METADATA, Probe, 'handler') as Record<string, { factory: (data: unknown, context: ExecutionContextHost) => unknown }>;
  return Object.values(metadata)[0].factory;
}

const org = { id: 'org-1', slug: 'acme', roles: ['member'], permissions: new Set(['reports:read']) };
const principal = { kind: 'user', id: 'user-1', username: 'alice', org } as unknown as Principal;

describe('@CurrentPrincipal() and @CurrentOrg()', () => {
  it.each([
    ['CurrentPrincipal', CurrentPrincipal, principal],
    ['CurrentOrg', CurrentOrg, org],
  ] as const)('%s answers from the request and leaves the execution context as Nest made it', (_name, decorator, expected) => {
    const request = {};
    attachPrincipal(request, principal);
    const context = new ExecutionContextHost([request, {}, () => undefined]);
    const shape = Object.keys(context);
    expect(factoryOf(decorator)(undefined, context)).toBe(expected);
    // `switchToHttp()` assigned three closures onto the context on every request (and changed its shape for the rest of the pipeline).
    expect(Object.keys(context)).toEqual(shape);
  });

  it('answers undefined when no guard resolved a principal', () => {
    const context = new ExecutionContextHost([{}, {}, () => undefined]);
    expect(factoryOf(CurrentPrincipal)(undefined, context)).toBeUndefined();
    expect(factoryOf(CurrentOrg)(undefined, context)).toBeUndefined();
  });
});
