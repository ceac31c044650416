import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api, Me } from './api';
import type { Router } from './router';

export interface ConsoleContext {
  api: Api;
  router: Router;
  me: Me;
  /** Whether the signed-in person holds `permission` (per GET /auth/me): controls they may not use are not shown. */
  can(permission: string): boolean;
  /** Ends the session (POST /auth/logout) and returns to sign-in. */
  signOut(): Promise<void>;
}

export const Console = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const context = useContext(Console);
  if (!context) throw new Error('useConsole outside the signed-in console');
  return context;
}
