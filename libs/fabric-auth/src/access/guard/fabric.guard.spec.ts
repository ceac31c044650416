import 'reflect-metadata';
import { Controller, Get, HttpException, Post, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { describe, expect, it } from 'vitest';
import type { AuditRecord, AuditService } from '../../data/audit.service.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { attachPrincipal, principalOf } from '../principal/current-principal.decorator.js';
import type { Principal } from '../../core/principal.js';
import { FabricAuthError } from '../../core/fabric-auth.error.js';
import type { FabricAuthenticator } from './fabric-authenticator.js';
import { FabricGuard } from './fabric.guard.js';
import { Public } from './public.decorator.js';
import { AllowDuringMfaEnrolment, RequireMfa } from './require-mfa.decorator.js';
import { OrgScoped } from './org-scoped.decorator.js';
import { RequirePermission } from './require-permission.decorator.js';

// FabricGuard's decisions, one route rule at a time: real Reflector and decorators, the
// credential check replaced by an in-memory authenticator keyed by the Bearer token.

@Controller('reports')
class ReportsController {
  @Public()
  @Get('health')
  health() {}

  @Get('me')
  me() {}

  @RequirePermission('reports:read')
  @Get()
  list() {}

  @RequirePermission('reports:write')
  @Post()
  create() {}

  @RequirePermission('payments:send')
  @Post('payments')
  pay() {}

  @RequireMfa()
  @Post('export')
  exportAll() {}

  @AllowDuringMfaEnrolment()
  @Post('mfa/enrol')
  enrol() {}
}

@Public()
@Controller('status')
class StatusController {
  @Get()
  status() {}
}

@RequirePermission('reports:read')
@Controller('archive')
class ArchiveController {
  @Get()
  browse() {}

  @RequirePermission('archive:purge')
  @Post('purge')
  purge() {}
}

/** Two controllers sharing one handler (inherited): each keeps its own class-level permission. */
@RequirePermission('archive:read')
@Controller('old-archive')
class OldArchiveController extends ArchiveController {}

@OrgScoped()
@Controller('projects')
class ProjectsController {
  @RequirePermission('projects:read')
  @Get()
  list() {}

  @Get('mine')
  mine() {}
}

const ACME = { id: 'o-1', slug: 'acme', roles: ['member'], permissions: new Set(['projects:read']) };

function principal(overrides: Partial<Principal> = {}): Principal {
  return {
    kind: 'user',
    id: 'u-1',
    username: 'alice',
    email: 'alice@example.test',
    roles: ['viewer'],
    permissions: new Set(['reports:read']),
    isSystemAdmin: false,
    sessionId: 's-1',
    apiKeyId: null,
    scopes: null,
    authMethod: 'jwt',
    amr: ['pwd'],
    restriction: null,
    ...overrides,
  };
}

type Outcome = Principal | Error;

/** Answers by the Bearer token: a principal, or the error the real authenticator would throw. */
class InMemoryAuthenticator {
  readonly calls: string[] = [];
  constructor(
    private readonly byToken: Record<string, Outcome>,
    private readonly asynchronous = false,
  ) {}

  authenticate(request: HttpRequestLike): Principal | Promise<Principal> {
    const authorization = request.headers.authorization;
    const token = typeof authorization === 'string' ? authorization.replace(/^Bearer /, '') : undefined;
    this.calls.push(token ?? '(none)');
    const outcome = token === undefined ? new FabricAuthError('missing') : (this.byToken[token] ?? new FabricAuthError('bad_token', 'unknown token'));
    if (this.asynchronous) return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }
}

class RecordingAudit {
  readonly records: AuditRecord[] = [];
  /** Set to hold every write open until it resolves. */
  pending?: Promise<void>;
  record(entry: AuditRecord): Promise<void> {
    this.records.push(entry);
    return this.pending ?? Promise.resolve();
  }
}

class FakeResponse {
  readonly headers: Record<string, string> = {};
  setHeader(name: string, value: string): void {
    this.headers[name.toLowerCase()] = value;
  }
}

function setup(byToken: Record<string, Outcome> = {}, options: { asynchronous?: boolean; requireMfa?: string[] } = {}) {
  const authenticator = new InMemoryAuthenticator(byToken, options.asynchronous);
  const audit = new RecordingAudit();
  const resolved = { mfa: { requireMfa: options.requireMfa ?? [] } } as unknown as ResolvedFabricAuthOptions;
  const guard = new FabricGuard(new Reflector(), authenticator as unknown as FabricAuthenticator, audit as unknown as AuditService, resolved);
  return { guard, authenticator, audit };
}

interface Call {
  readonly request: HttpRequestLike & { user?: unknown };
  readonly response: FakeResponse;
  readonly context: ExecutionContext;
}

function call<T extends object>(controller: new () => T, handler: keyof T & string, method: string, url: string, token?: string): Call {
  const request = { method, url, originalUrl: url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } } as unknown as Call['request'];
  const response = new FakeResponse();
  const context = new ExecutionContextHost([request, response], controller, controller.prototype[handler] as () => unknown);
  return { request, response, context };
}

async function decide(guard: FabricGuard, context: ExecutionContext): Promise<boolean> {
  return await guard.canActivate(context);
}

async function refusal(guard: FabricGuard, context: ExecutionContext): Promise<{ status: number; body: unknown }> {
  try {
    await guard.canActivate(context);
  } catch (error) {
    if (!(error instanceof HttpException)) throw error;
    return { status: error.getStatus(), body: error.getResponse() };
  }
  throw new Error('the guard let the request through');
}

describe.each([
  ['synchronous', false],
  ['asynchronous', true],
])('FabricGuard (%s authenticator)', (_label, asynchronous) => {
  describe('@OrgScoped() routes', () => {
    it('checks the permission in the active organization, not among the global ones', async () => {
      const { guard } = setup(
        {
          member: principal({ permissions: new Set(), org: ACME }),
          global: principal({ permissions: new Set(['projects:read']) }),
          globalOrgless: principal({ permissions: new Set(['projects:read']), org: { ...ACME, permissions: new Set() } }),
        },
        { asynchronous },
      );
      expect(await decide(guard, call(ProjectsController, 'list', 'GET', '/projects', 'member').context)).toBe(true);
      expect(await refusal(guard, call(ProjectsController, 'list', 'GET', '/projects', 'globalOrgless').context)).toEqual({
        status: 403,
        body: { statusCode: 403, message: 'Missing permission: projects:read', error: 'Forbidden' },
      });
      expect((await refusal(guard, call(ProjectsController, 'list', 'GET', '/projects', 'global').context)).status).toBe(403);
    });

    it('refuses a token without an organization, or one its holder has left (org null), with organization_required', async () => {
      const { guard } = setup({ none: principal(), left: principal({ org: null }) }, { asynchronous });
      for (const token of ['none', 'left']) {
        const answer = await refusal(guard, call(ProjectsController, 'mine', 'GET', '/projects/mine', token).context);
        expect(answer.status).toBe(403);
        expect(answer.body).toMatchObject({ error: 'organization_required' });
      }
    });

    it('leaves routes that are not org-scoped to the global permissions, whatever organization the token names', async () => {
      const { guard } = setup({ member: principal({ permissions: new Set(['reports:read']), org: ACME }) }, { asynchronous });
      expect(await decide(guard, call(ReportsController, 'list', 'GET', '/reports', 'member').context)).toBe(true);
      expect((await refusal(guard, call(ArchiveController, 'purge', 'POST', '/archive/purge', 'member').context)).status).toBe(403);
    });
  });

  describe('public routes', () => {
    it('lets a @Public() route through without asking for a credential', async () => {
      const { guard, authenticator } = setup({}, { asynchronous });
      expect(await decide(guard, call(ReportsController, 'health', 'GET', '/reports/health').context)).toBe(true);
      expect(await decide(guard, call(StatusController, 'status', 'GET', '/status', 'not-a-token').context)).toBe(true);
      expect(authenticator.calls).toEqual([]);
    });
  });

  describe('credentials', () => {
    it('answers a request without a credential 401 with a Bearer challenge', async () => {
      const { guard } = setup({}, { asynchronous });
      const { context, response } = call(ReportsController, 'me', 'GET', '/reports/me');
      expect(await refusal(guard, context)).toEqual({ status: 401, body: { statusCode: 401, message: 'Authentication required', error: 'Unauthorized' } });
      expect(response.headers['www-authenticate']).toBe('Bearer');
    });

    it.each(['malformed', 'bad_token', 'expired', 'wrong_type', 'revoked', 'inactive'] as const)(
      'answers a %s credential with the one generic 401 and invalid_token',
      async (failure) => {
        const { guard } = setup({ t: new FabricAuthError(failure, 'the reason, for the log only') }, { asynchronous });
        const { context, response } = call(ReportsController, 'me', 'GET', '/reports/me', 't');
        expect(await refusal(guard, context)).toEqual({ status: 401, body: { statusCode: 401, message: 'Invalid credentials', error: 'Unauthorized' } });
        expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      },
    );

    it('answers a failed CSRF check 403 without a challenge', async () => {
      const { guard } = setup({ t: new FabricAuthError('csrf', 'header and cookie differ') }, { asynchronous });
      const { context, response } = call(ReportsController, 'create', 'POST', '/reports', 't');
      expect(await refusal(guard, context)).toEqual({ status: 403, body: { statusCode: 403, message: 'Missing or invalid CSRF token', error: 'Forbidden' } });
      expect(response.headers['www-authenticate']).toBeUndefined();
    });

    it('answers a throttled client 429 with Retry-After', async () => {
      const { guard } = setup({ t: new FabricAuthError('throttled', 'API key failures from this address', 7) }, { asynchronous });
      const { context, response } = call(ReportsController, 'me', 'GET', '/reports/me', 't');
      expect(await refusal(guard, context)).toEqual({
        status: 429,
        body: { statusCode: 429, message: 'Too many requests; retry after 7 seconds', error: 'Too Many Requests' },
      });
      expect(response.headers['retry-after']).toBe('7');
    });

    it('answers an unexpected failure 503 without its detail', async () => {
      const { guard } = setup({ t: new Error('connect ECONNREFUSED 127.0.0.1:5432') }, { asynchronous });
      const { context, response } = call(ReportsController, 'me', 'GET', '/reports/me', 't');
      const answer = await refusal(guard, context);
      expect(answer).toEqual({ status: 503, body: { statusCode: 503, message: 'Authentication is temporarily unavailable', error: 'Service Unavailable' } });
      expect(JSON.stringify(answer)).not.toContain('ECONNREFUSED');
      expect(response.headers['www-authenticate']).toBeUndefined();
    });

    it('attaches the authenticated principal to the request', async () => {
      const alice = principal();
      const { guard } = setup({ alice }, { asynchronous });
      const { context, request } = call(ReportsController, 'me', 'GET', '/reports/me', 'alice');
      expect(await decide(guard, context)).toBe(true);
      expect(principalOf(request)).toBe(alice);
      expect(request.user).toBe(alice);
    });
  });

  describe('permissions', () => {
    it('lets a principal holding the permission through, and refuses one without it 403 naming it', async () => {
      const { guard } = setup({ alice: principal() }, { asynchronous });
      expect(await decide(guard, call(ReportsController, 'list', 'GET', '/reports', 'alice').context)).toBe(true);
      expect(await refusal(guard, call(ReportsController, 'create', 'POST', '/reports', 'alice').context)).toEqual({
        status: 403,
        body: { statusCode: 403, message: 'Missing permission: reports:write', error: 'Forbidden' },
      });
    });

    it("reads the controller's permission, and a method's own over it", async () => {
      const { guard } = setup({ alice: principal(), nobody: principal({ permissions: new Set() }) }, { asynchronous });
      expect(await decide(guard, call(ArchiveController, 'browse', 'GET', '/archive', 'alice').context)).toBe(true);
      expect((await refusal(guard, call(ArchiveController, 'browse', 'GET', '/archive', 'nobody').context)).status).toBe(403);
      const purge = await refusal(guard, call(ArchiveController, 'purge', 'POST', '/archive/purge', 'alice').context);
      expect(purge).toEqual({ status: 403, body: { statusCode: 403, message: 'Missing permission: archive:purge', error: 'Forbidden' } });
    });

    it('reads the rules per controller for a handler two controllers share', async () => {
      const { guard } = setup({ alice: principal(), archivist: principal({ permissions: new Set(['archive:read']) }) }, { asynchronous });
      for (let round = 0; round < 2; round++) {
        expect(await decide(guard, call(ArchiveController, 'browse', 'GET', '/archive', 'alice').context)).toBe(true);
        expect((await refusal(guard, call(OldArchiveController, 'browse', 'GET', '/old-archive', 'alice').context)).status).toBe(403);
        expect(await decide(guard, call(OldArchiveController, 'browse', 'GET', '/old-archive', 'archivist').context)).toBe(true);
        expect((await refusal(guard, call(ArchiveController, 'browse', 'GET', '/archive', 'archivist').context)).status).toBe(403);
      }
    });

    it('lets the system admin through without the permission; a write through that bypass is audited', async () => {
      const root = principal({ username: 'root', permissions: new Set(), isSystemAdmin: true });
      const { guard, audit } = setup({ root }, { asynchronous });
      expect(await decide(guard, call(ReportsController, 'list', 'GET', '/reports?page=2', 'root').context)).toBe(true);
      expect(audit.records).toEqual([]);
      expect(await decide(guard, call(ReportsController, 'create', 'POST', '/reports?draft=1', 'root').context)).toBe(true);
      expect(audit.records).toHaveLength(1);
      expect(audit.records[0]).toMatchObject({
        action: 'authz.system_admin_bypass',
        outcome: 'success',
        actor: root,
        target: { type: 'route', id: 'POST /reports' },
        details: { permission: 'reports:write' },
      });
    });

    it('lets a bypassed write through only once its audit row is written (read back at once, never cut off by a shutdown)', async () => {
      const root = principal({ username: 'root', permissions: new Set(), isSystemAdmin: true });
      const { guard, audit } = setup({ root }, { asynchronous });
      let written!: () => void;
      audit.pending = new Promise((resolve) => (written = resolve));
      let decided = false;
      const decision = Promise.resolve(guard.canActivate(call(ReportsController, 'create', 'POST', '/reports', 'root').context)).then((allowed) => {
        decided = true;
        return allowed;
      });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(audit.records).toHaveLength(1);
      expect(decided).toBe(false);
      written();
      expect(await decision).toBe(true);
    });

    it('does not audit the system admin on a write it holds the permission for', async () => {
      const root = principal({ permissions: new Set(['reports:write']), isSystemAdmin: true });
      const { guard, audit } = setup({ root }, { asynchronous });
      expect(await decide(guard, call(ReportsController, 'create', 'POST', '/reports', 'root').context)).toBe(true);
      expect(audit.records).toEqual([]);
    });
  });

  describe('second factor', () => {
    const mfaRequired = { statusCode: 403, error: 'mfa_required', message: 'This route needs a session signed in with a second factor' };

    it('refuses a @RequireMfa() route to a session without a second factor, even the system admin', async () => {
      const { guard } = setup({ alice: principal(), root: principal({ isSystemAdmin: true }), key: principal({ authMethod: 'api_key', amr: undefined }) }, { asynchronous });
      for (const token of ['alice', 'root', 'key']) {
        expect(await refusal(guard, call(ReportsController, 'exportAll', 'POST', '/reports/export', token).context)).toEqual({ status: 403, body: mfaRequired });
      }
    });

    it('lets a session signed in with a second factor through', async () => {
      const { guard } = setup({ alice: principal({ amr: ['pwd', 'otp', 'mfa'] }) }, { asynchronous });
      expect(await decide(guard, call(ReportsController, 'exportAll', 'POST', '/reports/export', 'alice').context)).toBe(true);
    });

    it('asks for a second factor on a permission listed in auth.mfa.require_mfa', async () => {
      const { guard } = setup(
        { alice: principal({ permissions: new Set(['payments:send']) }), bob: principal({ permissions: new Set(['payments:send']), amr: ['pwd', 'mfa'] }) },
        { asynchronous, requireMfa: ['payments:send'] },
      );
      expect(await refusal(guard, call(ReportsController, 'pay', 'POST', '/reports/payments', 'alice').context)).toEqual({ status: 403, body: mfaRequired });
      expect(await decide(guard, call(ReportsController, 'pay', 'POST', '/reports/payments', 'bob').context)).toBe(true);
    });

    it('keeps a session limited to MFA enrolment on the enrolment routes', async () => {
      const enrolling = principal({ permissions: new Set(['reports:read', 'reports:write']), restriction: 'mfa_enrollment' });
      const { guard } = setup({ enrolling }, { asynchronous });
      const refused = { statusCode: 403, error: 'mfa_enrollment_required', message: 'Enrol a second factor before using this session for anything else' };
      expect(await refusal(guard, call(ReportsController, 'me', 'GET', '/reports/me', 'enrolling').context)).toEqual({ status: 403, body: refused });
      expect(await refusal(guard, call(ReportsController, 'list', 'GET', '/reports', 'enrolling').context)).toEqual({ status: 403, body: refused });
      expect(await decide(guard, call(ReportsController, 'enrol', 'POST', '/reports/mfa/enrol', 'enrolling').context)).toBe(true);
    });
  });
});

describe('FabricGuard with a principal already on the request', () => {
  it('checks the principal a Passport guard before it resolved instead of authenticating again', async () => {
    const { guard, authenticator } = setup();
    const write = call(ReportsController, 'create', 'POST', '/reports');
    attachPrincipal(write.request, principal());
    expect(await refusal(guard, write.context)).toEqual({ status: 403, body: { statusCode: 403, message: 'Missing permission: reports:write', error: 'Forbidden' } });
    const read = call(ReportsController, 'list', 'GET', '/reports');
    attachPrincipal(read.request, principal());
    expect(await decide(guard, read.context)).toBe(true);
    expect(authenticator.calls).toEqual([]);
  });

  it("does not take the host app's own request.user for a principal", async () => {
    const { guard, authenticator } = setup();
    const { request, context } = call(ReportsController, 'list', 'GET', '/reports');
    request.user = principal({ isSystemAdmin: true });
    expect((await refusal(guard, context)).status).toBe(401);
    expect(authenticator.calls).toEqual(['(none)']);
  });
});
