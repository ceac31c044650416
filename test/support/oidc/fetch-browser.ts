interface StoredCookie {
  name: string;
  value: string;
  path: string;
}

export interface Hop {
  url: string;
  status: number;
  location: string | null;
  setCookie: string[];
  body: string;
}

/**
 * A cookie-keeping client driven by `fetch` with `redirect: 'manual'`, so tests see and can
 * tamper with every hop of a login. Cookies are kept per host (ports share them, as in
 * browsers) and per (name, path), and honour Path and Max-Age=0.
 */
export class FetchBrowser {
  private readonly jar = new Map<string, Map<string, StoredCookie>>();

  /** `headers` go with every request (e.g. `accept: application/json` for an API client's view). */
  constructor(private readonly headers: Record<string, string> = {}) {}

  cookie(host: string, name: string): string | undefined {
    return this.jar.get(host)?.get(`${name};/`)?.value ?? [...(this.jar.get(host)?.values() ?? [])].find((c) => c.name === name)?.value;
  }

  /** Names of the cookies held for `host` that start with `prefix`. */
  cookieNames(host: string, prefix = ''): string[] {
    return [...(this.jar.get(host)?.values() ?? [])].map((c) => c.name).filter((name) => name.startsWith(prefix));
  }

  setCookie(host: string, name: string, value: string): void {
    this.cookies(host).set(`${name};/`, { name, value, path: '/' });
  }

  /** One request, no redirect followed. */
  async request(url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Hop> {
    const target = new URL(url);
    const cookies = [...(this.jar.get(target.hostname)?.values() ?? [])]
      .filter((c) => target.pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const response = await fetch(target, {
      method: init.method ?? 'GET',
      body: init.body,
      redirect: 'manual',
      headers: { ...this.headers, ...(cookies ? { cookie: cookies } : {}), ...init.headers },
    });
    const setCookie = response.headers.getSetCookie();
    for (const line of setCookie) this.store(target.hostname, line);
    const location = response.headers.get('location');
    return {
      url: target.href,
      status: response.status,
      location: location === null ? null : new URL(location, target).href,
      setCookie,
      body: await response.text(),
    };
  }

  /** Follows redirects from `url` while `keepGoing(next)` says so; returns every hop. */
  async follow(url: string, keepGoing: (next: URL) => boolean = () => true, limit = 10): Promise<Hop[]> {
    const hops: Hop[] = [];
    let next: string | null = url;
    while (next !== null && hops.length < limit) {
      const hop = await this.request(next);
      hops.push(hop);
      next = hop.status >= 300 && hop.status < 400 && hop.location && keepGoing(new URL(hop.location)) ? hop.location : null;
    }
    return hops;
  }

  private cookies(host: string): Map<string, StoredCookie> {
    let cookies = this.jar.get(host);
    if (!cookies) this.jar.set(host, (cookies = new Map()));
    return cookies;
  }

  private store(host: string, line: string): void {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const attr = (key: string) => attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
    const expired = attr('max-age') === '0' || (attr('expires') !== undefined && Date.parse(attr('expires')!) < Date.now());
    const path = attr('path') ?? '/';
    if (expired) this.cookies(host).delete(`${name};${path}`);
    else this.cookies(host).set(`${name};${path}`, { name, value, path });
  }
}

/** Parses Set-Cookie lines into name → {value, attributes}. */
export function parseSetCookies(lines: string[]): Map<string, { value: string; attributes: string }> {
  const cookies = new Map<string, { value: string; attributes: string }>();
  for (const line of lines) {
    const [pair, ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    cookies.set(pair.slice(0, eq).trim(), { value: decodeURIComponent(pair.slice(eq + 1)), attributes: attributes.join(';').trim() });
  }
  return cookies;
}

/** A client that asks for JSON, as an API client does: refused logins answer Nest's JSON errors. */
export function jsonClient(): FetchBrowser {
  return new FetchBrowser({ accept: 'application/json' });
}
