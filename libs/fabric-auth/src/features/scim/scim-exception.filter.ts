import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FabricError } from '../../core/fabric-error.js';
import { httpErrorForDatabase } from '../../data/db-errors.js';
import { SCIM_CONTENT_TYPE, SCIM_ERROR_SCHEMA, ScimError, type ScimErrorBody, type ScimType } from './scim-error.js';

/** Codes of the library's catalog that SCIM clients act on by `scimType`. */
const SCIM_TYPES: Readonly<Record<string, ScimType>> = { already_exists: 'uniqueness', invalid_request: 'invalidValue', value_not_storable: 'invalidValue' };

/**
 * Every answer of the SCIM routes that is not a success, in the SCIM error schema and media
 * type (RFC 7644 §3.12): the guard's 401, validation, storage conflicts (409 `uniqueness`), and
 * an unexpected error (a generic 500, logged; its message never reaches the client).
 */
@Catch()
export class ScimExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('FabricScim');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(caught: unknown, host: ArgumentsHost): void {
    const exception = httpErrorForDatabase(caught) ?? caught;
    const body = this.bodyOf(exception);
    const adapter = this.adapterHost.httpAdapter;
    const response = host.switchToHttp().getResponse<unknown>();
    adapter.setHeader(response, 'Content-Type', SCIM_CONTENT_TYPE);
    if (body.status === '401') adapter.setHeader(response, 'WWW-Authenticate', 'Bearer');
    adapter.reply(response, body, Number(body.status));
  }

  private bodyOf(exception: unknown): ScimErrorBody {
    if (exception instanceof HttpException && !(exception instanceof FabricError && exception.internal)) {
      const status = exception.getStatus();
      const code = exception instanceof FabricError ? exception.code : undefined;
      if (exception instanceof FabricError && exception.detail !== undefined) this.logger.debug(`${exception.code}: ${exception.detail}`);
      const raw = exception.getResponse();
      const message = typeof raw === 'string' ? raw : (raw as { message?: unknown }).message;
      const detail = Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : exception.message;
      const scimType = exception instanceof ScimError ? exception.scimType : code !== undefined ? SCIM_TYPES[code] : status === 400 ? 'invalidValue' : undefined;
      return { schemas: [SCIM_ERROR_SCHEMA], status: String(status), ...(scimType && { scimType }), detail };
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return { schemas: [SCIM_ERROR_SCHEMA], status: '500', detail: 'Internal server error' };
  }
}
