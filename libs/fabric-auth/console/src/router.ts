import { useEffect, useState } from 'preact/hooks';

/**
 * A small History API router: screens are addressed by paths under the console's base, so a
 * reload or a shared link opens the same screen (the server answers the page for any of them).
 */
export class Router {
  private readonly listeners = new Set<() => void>();

  constructor(readonly base: string) {
    window.addEventListener('popstate', () => this.notify());
  }

  /** The path inside the console: `/users/alice` for `/admin/users/alice`. */
  current(): string {
    const path = window.location.pathname.slice(this.base.length);
    return path === '' ? '/' : path;
  }

  href(path: string): string {
    return this.base + path;
  }

  navigate(path: string, { replace = false } = {}): void {
    if (this.current() === path) return;
    if (replace) window.history.replaceState(null, '', this.href(path));
    else window.history.pushState(null, '', this.href(path));
    this.notify();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

/** The current path, re-rendering on every navigation. */
export function usePath(router: Router): string {
  const [path, setPath] = useState(router.current());
  useEffect(() => router.subscribe(() => setPath(router.current())), [router]);
  return path;
}

/** `pattern` such as `/users/:username` against `path`: the decoded parameters, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    const g = got[i];
    if (w.startsWith(':')) {
      if (g === '') return null;
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return null;
      }
    } else if (w !== g) return null;
  }
  return params;
}
