import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { EntityManager } from 'typeorm';
import { fabricError } from '../../core/fabric-error.js';
import { type FabricEventPayload, publish } from '../../core/fabric-event-catalog.js';
import { FABRIC_BEFORE_EVENT_KEY, FABRIC_EVENT_HANDLER_KEY, type FabricBeforeEvent, type FabricBeforeEventType, FabricEventRefusal } from '../../core/fabric-event.decorators.js';
import type { FabricEvent, FabricEventListener, FabricEventTransaction } from '../../core/ports/fabric-events.js';
import type { SignedIn, SignInHook, SignInTransaction } from '../../core/ports/sign-in-hook.js';
import type { UserCreationHook, UserToCreate } from '../../core/ports/user-creation-hook.js';
import { clientIp } from '../../core/request-info.js';

interface Bound {
  /** `Class.method`, for the log. */
  name: string;
  call: (argument: unknown) => unknown;
}

/**
 * Handler calls started and not yet settled, all handlers together: past it, an event's calls are
 * dropped with a warning rather than queued without end behind a slow handler.
 */
const MAX_IN_FLIGHT = 1000;

/**
 * The app's `@OnFabricEvent` and `@BeforeFabricEvent` methods, found once the modules are
 * initialised, and the core's ports that reach them: every audited action (a `FabricEvents`
 * listener, after its commit), each login (a `SignInHooks` entry) and each account creation (a
 * `UserCreationHooks` entry) before they happen.
 */
@Injectable()
export class FabricEventHandlers implements FabricEventListener, SignInHook, UserCreationHook, OnModuleInit {
  private readonly logger = new Logger('FabricEvents');
  private readonly after = new Map<string, Bound[]>();
  private readonly before = new Map<FabricBeforeEventType, Bound[]>();
  private inFlight = 0;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      // A request-scoped provider has no instance to call outside a request.
      const instance = wrapper.isDependencyTreeStatic() ? (wrapper.instance as Record<string, unknown> | undefined) : undefined;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (!prototype) continue;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = instance[method];
        if (typeof fn !== 'function') continue;
        const bound: Bound = { name: `${instance.constructor.name}.${method}`, call: (argument) => (fn as (a: unknown) => unknown).call(instance, argument) };
        for (const type of (Reflect.getMetadata(FABRIC_EVENT_HANDLER_KEY, fn) as string[] | undefined) ?? []) this.add(this.after, type, bound);
        const kind = Reflect.getMetadata(FABRIC_BEFORE_EVENT_KEY, fn) as FabricBeforeEventType | undefined;
        if (kind !== undefined) this.add(this.before, kind, bound);
      }
    }
  }

  async emit(event: FabricEvent, tx: FabricEventTransaction): Promise<void> {
    if (this.after.size === 0) return;
    const { payload } = publish(event);
    const handlers = this.after.get(payload.type);
    if (handlers) tx.afterCommit(() => this.dispatch(handlers, payload));
  }

  async afterSignIn(_tx: SignInTransaction, signedIn: SignedIn): Promise<void> {
    await this.runBefore('login', { user: signedIn.user, method: signedIn.method, ip: clientIp(signedIn.request) });
  }

  async beforeUserCreate(_manager: EntityManager, user: UserToCreate): Promise<void> {
    await this.runBefore('user.create', { username: user.username, email: user.email, full_name: user.fullName });
  }

  private async runBefore<K extends FabricBeforeEventType>(kind: K, argument: FabricBeforeEvent[K]): Promise<void> {
    for (const handler of this.before.get(kind) ?? []) {
      try {
        await handler.call(argument);
      } catch (error) {
        if (error instanceof FabricEventRefusal) {
          this.logger.log(`${kind} refused by ${handler.name}: ${error.reason}`);
          throw error;
        }
        // Fail closed: a hook that could not decide refuses, without its text (it may hold anything).
        this.logger.error(`${kind} refused: ${handler.name} threw ${(error as Error).message}`);
        throw fabricError('action_refused', undefined, { detail: (error as Error).message });
      }
    }
  }

  /** Starts each handler without waiting for it: the request that committed the change is not theirs to slow. */
  private dispatch(handlers: readonly Bound[], payload: FabricEventPayload): void {
    for (const handler of handlers) {
      if (this.inFlight >= MAX_IN_FLIGHT) {
        this.logger.warn(`${payload.type} ${payload.id} not given to ${handler.name}: ${MAX_IN_FLIGHT} handler calls already in flight`);
        continue;
      }
      this.inFlight++;
      void Promise.resolve()
        .then(() => handler.call(payload))
        .catch((error: unknown) => this.logger.error(`${handler.name} failed on ${payload.type} ${payload.id}: ${(error as Error)?.message ?? String(error)}`))
        .finally(() => this.inFlight--);
    }
  }

  private add<K>(map: Map<K, Bound[]>, key: K, bound: Bound): void {
    map.set(key, [...(map.get(key) ?? []), bound]);
  }
}
