import type { EntityManager } from 'typeorm';

/** The account about to be created, as a hook sees it. */
export interface UserToCreate {
  username: string;
  email: string | null;
  fullName: string | null;
}

/**
 * Runs inside the transaction that creates an account (`UsersService.create`: the admin API,
 * SCIM, just-in-time SSO provisioning), before the row is written. A hook that throws refuses
 * the creation and nothing of it is written (the events feature's `@BeforeFabricEvent('user.create')`).
 */
export interface UserCreationHook {
  beforeUserCreate(manager: EntityManager, user: UserToCreate): Promise<void>;
}

/** The registered hooks, in the order they run; none by default. */
export type UserCreationHooks = readonly UserCreationHook[];
export const UserCreationHooks = Symbol('UserCreationHooks');
