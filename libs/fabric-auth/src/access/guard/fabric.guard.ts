import { type CanActivate, type ExecutionContext, HttpException, Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuditService } from '../../data/audit.service.js';
import { type HttpRequestLike, setResponseHeader } from '../../core/request-info.js';
import {
  FABRIC_ENROLMENT_ROUTE_KEY,
  FABRIC_ORG_SCOPED_KEY,
  FABRIC_PERMISSIONS_KEY,
  FABRIC_PUBLIC_KEY,
  FABRIC_REQUIRE_MFA_KEY,
  FABRIC_SCIM_ROUTE_KEY,
} from '../../core/fabric-auth.constants.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { attachPrincipal, principalOf } from '../principal/current-principal.decorator.js';
import type { Principal } from '../../core/principal.js';
import { FabricAuthError } from '../../core/fabric-auth.error.js';
import { TooManyRequestsException } from '../limits/limits.service.js';
import { FabricAuthenticator } from './fabric-authenticator.js';
import { fabricError, isHttpAnswer } from '../../core/fabric-error.js';

const READ_ONLY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface RouteRules {
  readonly isPublic: boolean;
  readonly permissions: readonly string[];
  /** `@RequireMfa()`, or a permission listed in `auth.mfa.require_mfa`. */
  readonly requiresMfa: boolean;
  readonly allowedDuringEnrolment: boolean;
  /** `@OrgScoped()`: the permissions are checked in the active organization. */
  readonly orgScoped: boolean;
  /** `@ScimRoute()`: SCIM tokens only, and they nowhere else. */
  readonly scim: boolean;
}

/**
 * Authenticates the request (Bearer JWT, X-API-Key or the access cookie with CSRF) and
 * enforces `@RequirePermission()`. Works per controller and as APP_GUARD; `@Public()`
 * opts out. Subclass and override `getRequest`/`getResponse` for other transports.
 *
 * @publicApi
 */
@Injectable()
export class FabricGuard implements CanActivate {
  private readonly logger = new Logger('FabricGuard');
  /**
   * Route metadata read once per (controller, handler) instead of on every request: by handler,
   * with the controller it was read for (one lookup per request); a handler that several
   * controllers share (an inherited method) keeps the rules of the others in `sharedRules`.
   */
  private readonly rules = new WeakMap<object, { readonly controller: object; readonly rules: RouteRules }>();
  private readonly sharedRules = new WeakMap<object, WeakMap<object, RouteRules>>();

  constructor(
    protected readonly reflector: Reflector,
    protected readonly authenticator: FabricAuthenticator,
    protected readonly audit: AuditService,
    @Optional() @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options?: ResolvedFabricAuthOptions,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const rules = this.rulesFor(context);
    if (rules.isPublic) return true;
    const request = this.getRequest(context);
    const known = principalOf(request);
    if (known) return this.authorize(request, known, rules);
    let result: Principal | Promise<Principal>;
    try {
      result = this.authenticator.authenticate(request);
    } catch (error) {
      throw this.rejection(context, error);
    }
    if (result instanceof Promise) {
      return result.then(
        (principal) => this.accept(request, principal, rules),
        (error: unknown) => {
          throw this.rejection(context, error);
        },
      );
    }
    return this.accept(request, result, rules);
  }

  /** `switchToHttp().getRequest()` without it: Nest's `switchToHttp()` makes three closures per call. */
  protected getRequest(context: ExecutionContext): HttpRequestLike {
    return context.getArgByIndex(0);
  }

  protected getResponse(context: ExecutionContext): unknown {
    return context.getArgByIndex(1);
  }

  private rulesFor(context: ExecutionContext): RouteRules {
    const controller = context.getClass();
    const handler = context.getHandler();
    const first = this.rules.get(handler);
    if (first !== undefined && first.controller === controller) return first.rules;
    if (first === undefined) {
      const rules = this.readRules(handler, controller);
      this.rules.set(handler, { controller, rules });
      return rules;
    }
    let byController = this.sharedRules.get(handler);
    if (!byController) this.sharedRules.set(handler, (byController = new WeakMap()));
    let rules = byController.get(controller);
    if (!rules) byController.set(controller, (rules = this.readRules(handler, controller)));
    return rules;
  }

  private readRules(handler: ReturnType<ExecutionContext['getHandler']>, controller: ReturnType<ExecutionContext['getClass']>): RouteRules {
    const targets = [handler, controller];
    const permissions = this.reflector.getAllAndOverride<string[] | undefined>(FABRIC_PERMISSIONS_KEY, targets) ?? [];
    const stepUp = this.options?.mfa.requireMfa ?? [];
    return {
      isPublic: this.reflector.getAllAndOverride<boolean | undefined>(FABRIC_PUBLIC_KEY, targets) === true,
      permissions,
      requiresMfa: this.reflector.getAllAndOverride<boolean | undefined>(FABRIC_REQUIRE_MFA_KEY, targets) === true || permissions.some((p) => stepUp.includes(p)),
      allowedDuringEnrolment: this.reflector.getAllAndOverride<boolean | undefined>(FABRIC_ENROLMENT_ROUTE_KEY, targets) === true,
      orgScoped: this.reflector.getAllAndOverride<boolean | undefined>(FABRIC_ORG_SCOPED_KEY, targets) === true,
      scim: this.reflector.getAllAndOverride<boolean | undefined>(FABRIC_SCIM_ROUTE_KEY, targets) === true,
    };
  }

  private accept(request: HttpRequestLike, principal: Principal, rules: RouteRules): boolean | Promise<boolean> {
    attachPrincipal(request, principal);
    (request as { user?: unknown }).user = principal;
    return this.authorize(request, principal, rules);
  }

  private authorize(request: HttpRequestLike, principal: Principal, rules: RouteRules): boolean | Promise<boolean> {
    // Checked before anything else, on every path (a principal attached by an earlier guard too):
    // a SCIM token is a credential of the SCIM routes alone, and they take no other (SPEC §17).
    if ((principal.kind === 'scim_token') !== rules.scim) {
      throw fabricError('invalid_credentials', 'Invalid credentials', {
        detail: rules.scim ? `a ${principal.kind} credential on a SCIM route` : 'a SCIM token outside the SCIM routes',
      });
    }
    // A session the MFA policy limited to enrolment reaches the enrolment routes only.
    if (principal.restriction === 'mfa_enrollment' && !rules.allowedDuringEnrolment) {
      throw fabricError('mfa_enrollment_required', 'Enrol a second factor before using this session for anything else');
    }
    if (rules.requiresMfa && !principal.amr?.includes('mfa')) {
      throw fabricError('mfa_required', 'This route needs a session signed in with a second factor');
    }
    let granted = principal.permissions;
    if (rules.orgScoped) {
      if (!principal.org) throw fabricError('organization_required', 'This route acts in an organization: choose one with grant_type=organization');
      granted = principal.org.permissions;
    }
    let bypassed: string[] | undefined;
    for (const permission of rules.permissions) {
      if (granted.has(permission)) continue;
      if (!principal.isSystemAdmin) throw fabricError('permission_denied', `Missing permission: ${permission}`);
      if (!READ_ONLY_METHODS.has(request.method ?? 'GET')) (bypassed ??= []).push(permission);
    }
    if (bypassed === undefined) return true;
    // Awaited before the handler runs: the trace is in the log when the write answers, and a
    // shutdown's drain waits for it with the request instead of closing the pool under it.
    return Promise.all(bypassed.map((permission) => this.auditBypass(request, principal, permission))).then(() => true);
  }

  /** The system admin passed a check only through its bypass, on a write: leave a trace (a failed write is logged, never fails the request). */
  private auditBypass(request: HttpRequestLike, principal: Principal, permission: string): Promise<void> {
    const path = (request as { originalUrl?: string; url?: string }).originalUrl ?? (request as { url?: string }).url ?? '';
    return this.audit.record({
      action: 'authz.system_admin_bypass',
      outcome: 'success',
      actor: principal,
      target: { type: 'route', id: `${request.method} ${path.split('?')[0]}`.slice(0, 200) },
      request,
      details: { permission },
    });
  }

  /** One generic answer per status; the reason goes to the debug log only. */
  private rejection(context: ExecutionContext, error: unknown): HttpException {
    if (error instanceof FabricAuthError) {
      this.logger.debug(`credential refused: ${error.message}`);
      if (error.failure === 'csrf') return fabricError('csrf_token_invalid', 'Missing or invalid CSRF token', { detail: error.message });
      if (error.failure === 'throttled') {
        setResponseHeader(this.getResponse(context), 'Retry-After', String(error.retryAfterSeconds));
        return new TooManyRequestsException(error.retryAfterSeconds);
      }
      const challenge = error.failure === 'missing' ? 'Bearer' : 'Bearer error="invalid_token"';
      setResponseHeader(this.getResponse(context), 'WWW-Authenticate', challenge);
      return error.failure === 'missing'
        ? fabricError('authentication_required', 'Authentication required')
        : fabricError('invalid_credentials', 'Invalid credentials', { detail: error.message });
    }
    if (isHttpAnswer(error)) return error;
    this.logger.error(`authentication failed: ${(error as Error)?.message ?? String(error)}`);
    return fabricError('authentication_unavailable', 'Authentication is temporarily unavailable', { cause: error });
  }
}
