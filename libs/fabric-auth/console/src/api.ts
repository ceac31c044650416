/**
 * The console's only way to the server: the library's public REST API, with the person's cookie
 * session and the CSRF header on unsafe methods (README, "Cookie sessions and CSRF"). Nothing here
 * is specific to the console on the server side.
 */

/** A refusal or failure, told as a sentence a person can read (never the raw answer). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The API's stable error code, when it gave one (`mfa_required`, `invalid_grant`, …). */
    readonly code?: string,
    readonly body?: Record<string, unknown>,
    /** Each problem as its own sentence (a refused form names each field). */
    readonly sentences: string[] = [message],
  ) {
    super(message);
  }
}

export interface ListPage<T> {
  items: T[];
  total: number;
  total_is_estimate: boolean;
  next_cursor: string | null;
}

export interface Me {
  kind: string;
  id: string;
  username: string;
  roles: string[];
  permissions: string[];
  is_system_admin: boolean;
}

/** The readable half of the signed double submit, echoed in X-CSRF-Token. */
function csrfToken(): string {
  const cookie = document.cookie.split('; ').find((c) => c.startsWith('csrf_token='));
  return cookie ? decodeURIComponent(cookie.slice('csrf_token='.length)) : '';
}

const SAFE = new Set(['GET', 'HEAD']);

/** A message as a sentence: capital first letter, closing stop. */
function asSentence(text: string): string {
  const t = text.trim();
  return `${t[0].toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}`;
}

/** The API's own messages as sentences (a refused form has one per field); the status's when it gave none. */
function sentences(status: number, body: Record<string, unknown> | undefined): string[] {
  const raw = [body?.error_description, body?.message].find((m) => (typeof m === 'string' && m.trim() !== '') || Array.isArray(m));
  const told = (Array.isArray(raw) ? raw : [raw]).filter((m): m is string => typeof m === 'string' && m.trim() !== '');
  if (status === 401) return ['Your session has ended. Sign in again.'];
  if (status === 403 && told.length === 0) return ['You are not allowed to do this.'];
  if (status === 404 && told.length === 0) return ['Not found.'];
  if (status === 429) return ['Too many attempts. Wait a moment and try again.'];
  if (status >= 500 || told.length === 0) return ['The server could not complete this request. Try again later.'];
  return told.map(asSentence);
}

export class Api {
  /** Called when a call that needed the session gets 401: the session timed out or was revoked. */
  onUnauthorized: () => void = () => undefined;

  constructor(private readonly base: string) {}

  async call<T>(method: string, path: string, body?: unknown, { signIn = false } = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (!SAFE.has(method)) headers['X-CSRF-Token'] = csrfToken();
    let response: Response;
    try {
      response = await fetch(this.base + path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, 'The server could not be reached. Check your connection and try again.');
    }
    const text = await response.text();
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      parsed = undefined;
    }
    if (response.ok) return parsed as T;
    const code = typeof parsed?.error === 'string' ? parsed.error : typeof parsed?.code === 'string' ? parsed.code : undefined;
    if (response.status === 401 && !signIn) this.onUnauthorized();
    const told = sentences(signIn && response.status === 401 ? 400 : response.status, parsed);
    throw new ApiError(response.status, told.join(' '), code, parsed, told);
  }

  get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
    const params = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
    const suffix = params.size > 0 ? `?${params}` : '';
    return this.call<T>('GET', path + suffix);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PATCH', path, body);
  }

  delete<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('DELETE', path, body);
  }
}

export const segment = encodeURIComponent;
