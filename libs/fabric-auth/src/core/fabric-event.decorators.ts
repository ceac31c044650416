import type { FabricEventPayload, FabricEventType } from './fabric-event-catalog.js';
import { FabricError } from './fabric-error.js';

export const FABRIC_EVENT_HANDLER_KEY = 'fabric-auth:event-handler';
export const FABRIC_BEFORE_EVENT_KEY = 'fabric-auth:before-event';

/** What a `@BeforeFabricEvent('login')` handler is given: every factor is proved, the session not yet opened. */
interface BeforeLogin {
  user: { id: string; username: string };
  /** How the first factor was proved (`password`, `oidc`, `saml`, `passkey`). */
  method: string;
  ip: string | null;
}

/** What a `@BeforeFabricEvent('user.create')` handler is given: the account about to be created (admin API, SCIM, SSO provisioning). */
interface BeforeUserCreate {
  username: string;
  email: string | null;
  full_name: string | null;
}

/** @publicApi The argument of a before-hook, per kind: `FabricBeforeEvent['login']`, `FabricBeforeEvent['user.create']`. */
export interface FabricBeforeEvent {
  login: BeforeLogin;
  'user.create': BeforeUserCreate;
}

/** What a before-hook may refuse. */
export type FabricBeforeEventType = keyof FabricBeforeEvent;

/**
 * @publicApi Thrown by a `@BeforeFabricEvent` handler to refuse: the client gets 403 with `error:
 * "action_refused"` and this reason as `message`, so write it for the end user and never put a
 * secret in it.
 */
export class FabricEventRefusal extends FabricError {
  constructor(readonly reason: string) {
    // Bounded: the reason is answered to the client as written.
    super('action_refused', reason.slice(0, 500) || undefined);
    this.name = 'FabricEventRefusal';
  }
}

type Handler<A> = (argument: A) => unknown;

/**
 * @publicApi Calls the decorated method of an app provider with each event of these types, once the
 * change has committed (never for a rolled-back one), outside the request: its result is not
 * awaited by the request, and an error it throws is logged, never the request's. Best effort within
 * the process: for delivery that survives a crash, use webhooks.
 *
 * ```ts
 * @OnFabricEvent('user.created')
 * async welcome(event: FabricEventPayload<'user.created'>) { … }
 * ```
 */
export function OnFabricEvent<T extends FabricEventType>(...types: [T, ...T[]]) {
  return <M extends Handler<FabricEventPayload<T>>>(_target: object, _key: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    const previous = (Reflect.getMetadata(FABRIC_EVENT_HANDLER_KEY, descriptor.value as object) as string[] | undefined) ?? [];
    Reflect.defineMetadata(FABRIC_EVENT_HANDLER_KEY, [...previous, ...types], descriptor.value as object);
  };
}

/**
 * @publicApi Calls the decorated method before a login opens its session, or before an account is
 * created, inside that change's transaction (keep it quick: it holds the transaction open). Throw
 * `FabricEventRefusal` to refuse with a reason (403 `action_refused`); any other error refuses too,
 * with a generic message, and is logged.
 */
export function BeforeFabricEvent<K extends FabricBeforeEventType>(kind: K) {
  return <M extends Handler<FabricBeforeEvent[K]>>(_target: object, _key: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    Reflect.defineMetadata(FABRIC_BEFORE_EVENT_KEY, kind, descriptor.value as object);
  };
}
