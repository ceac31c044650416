import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

/**
 * Where `npm run build` (libs/fabric-auth/scripts/build-console.mjs) writes the console: the
 * package's `dist/console/`. The package root is the nearest folder above this module holding a
 * package.json: from `src/features/console/` (tests run the source) as from the bundled chunk
 * in `dist/chunks/` (the published build, scripts/bundle-dist.mjs), whatever its depth.
 */
export function consoleBuildDir(from: string | URL = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`auth.console.enabled: no package.json above ${fileURLToPath(from)}, so no dist/console/ to serve`);
    dir = parent;
  }
  return join(dir, 'dist', 'console');
}

/** What the build writes beside the assets: the content-hashed names of the page's script and stylesheet. */
export interface ConsoleManifest {
  script: string;
  stylesheet: string;
}

/**
 * The console's own policy, stricter than the API's: nothing inline (script or style), nothing
 * from another origin, no framing, no plugins, no `<base>` rewrite.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

interface Encoded {
  identity: Buffer;
  gzip: Buffer;
  br: Buffer;
}

interface ServedFile {
  type: string;
  bodies: Encoded;
  etag: string;
  /** Content-hashed assets never change under their name: cached for a year. The page is revalidated every time. */
  immutable: boolean;
}

export interface ConsoleAnswer {
  status: number;
  headers: Record<string, string>;
  /** Empty for HEAD and 304. */
  body: Buffer;
}

type Coding = keyof Encoded;

/**
 * The best coding the client accepts, brotli first (smallest), by `Accept-Encoding`'s names and
 * q-values (RFC 9110 §12.5.3); `identity` when it names neither.
 */
export function preferredCoding(acceptEncoding: string | undefined): Coding {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name = '', ...params] = part
      .toLowerCase()
      .split(';')
      .map((piece) => piece.trim());
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (name) accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const weight = (name: string) => accepted.get(name) ?? accepted.get('*') ?? 0;
  if (weight('br') > 0) return 'br';
  if (weight('gzip') > 0) return 'gzip';
  return 'identity';
}

const escapeAttribute = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * What the page tells its script of the server's configuration, beside where it is mounted and
 * where the API is: which optional features are on (their screens are shown only then) and the
 * configured SSO providers (a sign-in link each, to the provider's existing login route).
 */
export interface ConsolePageFacts {
  /** Optional features that are on: `organizations` (and `organizations_self_service`, `sso_connections`), `webhooks`. */
  features: string[];
  sso: Array<{ name: string; login: string }>;
}

/** The page: no inline script or style; the script reads where it is mounted, where the API is and the facts above from data attributes. */
function page(base: string, apiBase: string, manifest: ConsoleManifest, facts: ConsolePageFacts): string {
  const asset = (name: string) => escapeAttribute(`${base}/assets/${name}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Admin console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${asset(manifest.stylesheet)}">
<script type="module" src="${asset(manifest.script)}"></script>
</head>
<body>
<div id="console" data-base="${escapeAttribute(base)}" data-api="${escapeAttribute(apiBase)}" data-features="${escapeAttribute(facts.features.join(' '))}" data-sso="${escapeAttribute(JSON.stringify(facts.sso))}"></div>
<noscript><p>The admin console needs JavaScript.</p></noscript>
</body>
</html>
`;
}

function encoded(body: Buffer, compressible: boolean): Encoded {
  if (!compressible) return { identity: body, gzip: body, br: body };
  return {
    identity: body,
    gzip: gzipSync(body, { level: 9 }),
    br: brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } }),
  };
}

/** A precompressed variant the build wrote (`<file>.gz`, `<file>.br`), else compressed now, once. */
function readAsset(dir: string, name: string): Encoded {
  const identity = readFileSync(`${dir}/${name}`);
  const gz = `${dir}/${name}.gz`;
  const br = `${dir}/${name}.br`;
  if (existsSync(gz) && existsSync(br)) return { identity, gzip: readFileSync(gz), br: readFileSync(br) };
  return encoded(identity, true);
}

// Weak: one validator for the identity, gzip and brotli bodies of the same content.
const etagOf = (body: Buffer) => `W/"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;

/**
 * The console's files, read once at startup and held in memory (a page and two assets, some
 * tens of kilobytes): answering never touches the disk or the database.
 */
export class ConsoleAssets {
  private readonly files = new Map<string, ServedFile>();
  private readonly page: ServedFile;

  /**
   * @param base where the console is mounted (`/admin`), validated by the options.
   * @param apiBase the library's routes (`/api/v1`), which the page calls.
   */
  constructor(
    private readonly base: string,
    apiBase: string,
    dir: string = consoleBuildDir(),
    facts: ConsolePageFacts = { features: [], sso: [] },
  ) {
    const manifestPath = `${dir}/manifest.json`;
    if (!existsSync(manifestPath)) {
      throw new Error(`auth.console.enabled: the console's built files are missing (${manifestPath}); build the package (npm run build) or turn the console off`);
    }
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ConsoleManifest;
    for (const name of [manifest.script, manifest.stylesheet]) {
      const bodies = readAsset(`${dir}/assets`, name);
      this.files.set(`${base}/assets/${name}`, { type: TYPES[name.slice(name.lastIndexOf('.'))], bodies, etag: etagOf(bodies.identity), immutable: true });
    }
    const html = Buffer.from(page(base, apiBase, manifest, facts));
    this.page = { type: 'text/html; charset=utf-8', bodies: encoded(html, true), etag: etagOf(html), immutable: false };
  }

  /**
   * The answer to a request for `pathname`, or null when it is not the console's (another route,
   * or a method other than GET and HEAD): the caller passes it on. Any path under the console but
   * its assets is the page, so that a reload of `/admin/users/alice` opens that screen.
   */
  answer(method: string, pathname: string, headers: { acceptEncoding?: string; ifNoneMatch?: string }): ConsoleAnswer | null {
    if (method !== 'GET' && method !== 'HEAD') return null;
    if (pathname !== this.base && !pathname.startsWith(`${this.base}/`)) return null;
    const file = pathname.startsWith(`${this.base}/assets/`) ? this.files.get(pathname) : this.page;
    if (!file) {
      return {
        status: 404,
        headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
        body: method === 'HEAD' ? Buffer.alloc(0) : Buffer.from('Not found\n'),
      };
    }
    const common = {
      ...SECURITY_HEADERS,
      'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      etag: file.etag,
      vary: 'Accept-Encoding',
    };
    if (headers.ifNoneMatch !== undefined && headers.ifNoneMatch.split(',').some((tag) => tag.trim() === file.etag)) {
      return { status: 304, headers: common, body: Buffer.alloc(0) };
    }
    const coding = preferredCoding(headers.acceptEncoding);
    const body = file.bodies[coding];
    return {
      status: 200,
      headers: {
        ...common,
        'content-type': file.type,
        'content-length': String(body.length),
        ...(coding === 'identity' ? {} : { 'content-encoding': coding }),
      },
      body: method === 'HEAD' ? Buffer.alloc(0) : body,
    };
  }
}
