import { readdirSync, readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ArgumentsHost, Logger } from '@nestjs/common';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { FABRIC_ERROR_CATALOG, FABRIC_ERROR_CODES, FabricError, type FabricErrorCode, fabricError, fabricErrorStatus } from '../core/fabric-error.js';
import { FabricAuthError } from '../core/fabric-auth.error.js';
import { FabricExceptionFilter } from './fabric-exception.filter.js';
import { OAuthError } from './oauth-error.js';

const SRC = fileURLToPath(new URL('..', import.meta.url));

function librarySources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'migrations' ? [] : librarySources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** A filter answering through a fake adapter: what it replied, and what it logged. */
function answer(exception: unknown, path = '/api/v1/users'): { status: number; body: unknown; debug: string[] } {
  const replies: Array<{ body: unknown; status: number }> = [];
  const adapter = { reply: (_: unknown, body: unknown, status: number) => replies.push({ body, status }), isHeadersSent: () => false, end: () => undefined };
  const filter = new FabricExceptionFilter(adapter as never);
  const debug = vi.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
  const response = { setHeader: () => undefined, header: () => undefined };
  const host = {
    getType: () => 'http',
    getArgByIndex: (i: number) => (i === 1 ? response : { url: path }),
    switchToHttp: () => ({ getRequest: () => ({ url: path }), getResponse: () => response }),
  } as unknown as ArgumentsHost;
  filter.catch(exception, host);
  expect(replies).toHaveLength(1);
  return { ...replies[0], debug: debug.mock.calls.map((call) => String(call[0])) };
}

describe('error codes', () => {
  it('maps every code to an HTTP error status', () => {
    expect(FABRIC_ERROR_CODES).toEqual(Object.keys(FABRIC_ERROR_CATALOG));
    expect(new Set(FABRIC_ERROR_CODES).size).toBe(FABRIC_ERROR_CODES.length);
    for (const code of FABRIC_ERROR_CODES) {
      const status = fabricErrorStatus(code);
      expect(Number.isInteger(status) && status >= 400 && status <= 599, code).toBe(true);
      expect(STATUS_CODES[status], code).toBeDefined();
      expect(new FabricError(code).getStatus(), code).toBe(status);
      expect(code, 'snake_case').toMatch(/^[a-z]+(_[a-z]+)*$/);
    }
  });

  it('documents each code in one line: its status and meaning', () => {
    const source = readFileSync(join(SRC, 'core/fabric-error.ts'), 'utf8');
    for (const code of FABRIC_ERROR_CODES) {
      expect(source, code).toMatch(new RegExp(`/\\*\\* ${fabricErrorStatus(code)} — .+\\*/\\n  ${code}: \\{`));
    }
  });

  it('is a closed union', () => {
    expectTypeOf<FabricError['code']>().toEqualTypeOf<FabricErrorCode>();
    expectTypeOf(fabricError).parameter(0).toEqualTypeOf<FabricErrorCode>();
    // @ts-expect-error: a code outside the catalog does not compile
    const outside = () => fabricError('no_such_code');
    expect(outside).toThrow();
    expectTypeOf<OAuthError['code']>().toExtend<FabricErrorCode>();
  });

  it('is the code of every error the library throws', () => {
    const unknown: string[] = [];
    const outsideBase: string[] = [];
    const inlineNest: string[] = [];
    for (const path of librarySources()) {
      const text = readFileSync(path, 'utf8');
      const file = relative(SRC, path);
      // Codes given as literals: fabricError('x'), new FabricError('x'), super('x') in a subclass.
      for (const match of text.matchAll(/(?:fabricError|new FabricError|super)\(\s*'([a-z_]+)'/g)) {
        if (!(FABRIC_ERROR_CODES as readonly string[]).includes(match[1])) unknown.push(`${file}: ${match[1]}`);
      }
      for (const match of text.matchAll(/class (\w+) extends (\w+)/g)) {
        if (/(Error|Exception|Refusal|Failure)$/.test(match[1]) && match[1] !== 'FabricError' && ['Error', 'HttpException'].includes(match[2]))
          outsideBase.push(`${file}: ${match[1]}`);
      }
      for (const match of text.matchAll(/new (\w+Exception)\(/g)) {
        if (!['TooManyRequestsException', 'PasswordChecksBusyException', 'ClientGoneException'].includes(match[1])) inlineNest.push(`${file}: ${match[1]}`);
      }
    }
    expect(unknown).toEqual([]);
    expect(outsideBase).toEqual([]);
    expect(inlineNest).toEqual([]);
  });

  it('keeps the library errors in the hierarchy', () => {
    expect(new FabricAuthError('expired', 'jwt expired')).toBeInstanceOf(FabricError);
    expect(new FabricAuthError('expired', 'jwt expired').code).toBe('credential_refused');
    expect(new OAuthError('invalid_client', 'x').getStatus()).toBe(401);
    expect(new OAuthError('mfa_required', 'x').getStatus()).toBe(400);
    expect(new OAuthError('temporarily_unavailable', 'x', 429).getStatus()).toBe(429);
  });
});

describe('FabricExceptionFilter and coded errors', () => {
  it("answers Nest's shape with the client message; the detail goes to the log only", () => {
    const error = fabricError('invalid_credentials', 'Invalid credentials', { detail: 'expired: jwt expired at 2026-01-01' });
    const { status, body, debug } = answer(error);
    expect(status).toBe(401);
    expect(body).toEqual({ statusCode: 401, message: 'Invalid credentials', error: 'Unauthorized' });
    expect(JSON.stringify(body)).not.toContain('expired');
    expect(debug).toEqual(['invalid_credentials: expired: jwt expired at 2026-01-01']);
  });

  it('answers the same body as the Nest exception it replaces', () => {
    expect(answer(fabricError('user_not_found')).body).toEqual({ statusCode: 404, message: 'User not found', error: 'Not Found' });
    expect(answer(fabricError('invalid_request', ['a must be a string', 'b is required'])).body).toEqual({
      statusCode: 400,
      message: ['a must be a string', 'b is required'],
      error: 'Bad Request',
    });
    expect(answer(fabricError('mfa_required')).body).toEqual({ statusCode: 403, message: 'This route needs a session signed in with a second factor', error: 'mfa_required' });
    // Without the filter, Nest answers getResponse() as it is: the same three fields.
    expect(fabricError('already_exists', 'Role already exists').getResponse()).toEqual({ message: 'Role already exists', error: 'Conflict', statusCode: 409 });
  });

  it('answers an internal error as a generic 500 and logs it, never its words', () => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const error = new FabricError('unknown_roles', 'unknown roles: secret-role');
    const { status, body } = answer(error);
    expect(status).toBe(500);
    expect(body).toEqual({ statusCode: 500, message: 'Internal server error' });
    expect(logged).toHaveBeenCalledWith(error);
  });

  it('keeps the RFC 6749 shape on the token endpoint', () => {
    const { status, body } = answer(fabricError('invalid_request', 'grant_type is required', { detail: 'sent: nothing' }), '/api/v1/auth/token');
    expect(status).toBe(400);
    expect(body).toEqual({ error: 'invalid_request', error_description: 'grant_type is required' });
  });
});
