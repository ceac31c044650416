import { STATUS_CODES } from 'node:http';
import { type ArgumentsHost, Catch, HttpException, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { httpErrorForDatabase } from '../data/db-errors.js';
import { PasswordChecksBusyException } from '../access/passwords/password-hasher.js';
import { setResponseHeader } from '../core/request-info.js';
import { FabricError } from '../core/fabric-error.js';

/** Nest's own logger name for unexpected errors, so that ours read the same in the log. */
const UNEXPECTED = new Logger('ExceptionsHandler');
const TOKEN_ENDPOINT = /\/auth\/token\/?$/;
/** Fastify words its body-limit refusal otherwise than Express's body-parser: one wording for clients. */
const ADAPTER_MESSAGES: Readonly<Record<string, string>> = { FST_ERR_CTP_BODY_TOO_LARGE: 'request entity too large' };

function adapterMessage(exception: HttpException): string | undefined {
  const code = (exception.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? ADAPTER_MESSAGES[code] : undefined;
}

/**
 * Global filter for the host app (`app.useGlobalFilters(new FabricExceptionFilter(app.getHttpAdapter()))`):
 * every 4xx answers `{statusCode, message, error}` — also the ones raised before a route
 * runs, such as body-parser's 413 — and errors on the token endpoint keep the RFC 6749
 * shape, uncacheable. Storage errors of the host's own routes are mapped as on the library's
 * (database or Redis away → 503, unique key taken → 409). Anything else goes to Nest's
 * handler (generic 500, logged).
 *
 * The one place a `FabricError` becomes an answer: its code's status (`FABRIC_ERROR_CATALOG`) and
 * client message go out in the body; its `detail` goes to the log only. An internal one (status
 * 500) is answered and logged as any unexpected error.
 *
 * @publicApi
 */
@Catch()
export class FabricExceptionFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('FabricAuth');

  override catch(caught: unknown, host: ArgumentsHost): void {
    const exception = httpErrorForDatabase(caught) ?? caught;
    if (exception instanceof FabricError && exception.internal && host.getType() === 'http') {
      // Nest logs no HttpException: log it as it logs any unexpected error, then answer its generic 500.
      UNEXPECTED.error(exception);
      const adapter = this.httpAdapterHost?.httpAdapter ?? this.applicationRef;
      return this.handleUnknownError(exception, host, adapter!);
    }
    if (!(exception instanceof HttpException) || host.getType() !== 'http') return super.catch(exception, host);
    if (exception instanceof FabricError && exception.detail !== undefined) this.logger.debug(`${exception.code}: ${exception.detail}`);
    const status = exception.getStatus();
    const raw = exception.getResponse();
    const message = adapterMessage(exception) ?? (typeof raw === 'string' ? raw : ((raw as { message?: unknown }).message ?? exception.message));
    const error = (typeof raw === 'object' && (raw as { error?: string }).error) || STATUS_CODES[status] || 'Error';
    const http = host.switchToHttp();
    const request = http.getRequest<{ url?: string; originalUrl?: string }>();
    const response = http.getResponse<unknown>();
    const path = (request.originalUrl ?? request.url ?? '').split('?')[0];
    const adapter = this.httpAdapterHost?.httpAdapter ?? this.applicationRef;
    if (exception instanceof PasswordChecksBusyException) setResponseHeader(response, 'Retry-After', String(exception.retryAfterSeconds));
    // Closed after a shed check, so that an immediate retry pays a reconnect (SEC-102, as the token endpoint).
    if (exception instanceof PasswordChecksBusyException) setResponseHeader(response, 'Connection', 'close');
    if (TOKEN_ENDPOINT.test(path) && status < 500) {
      setResponseHeader(response, 'Cache-Control', 'no-store');
      setResponseHeader(response, 'Pragma', 'no-cache');
      const description = Array.isArray(message) ? message.join('; ') : String(message);
      adapter!.reply(response, { error: 'invalid_request', error_description: description }, status);
      return;
    }
    adapter!.reply(response, { statusCode: status, message, error }, status);
  }
}
