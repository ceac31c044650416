import { type CallHandler, type ExecutionContext, Injectable, Logger, type NestInterceptor } from '@nestjs/common';
import { catchError, type Observable, throwError } from 'rxjs';
import { httpErrorForDatabase } from '../data/db-errors.js';

/**
 * On every library controller: a storage error leaves a handler as an HTTP answer in the
 * usual shape — the database away is a 503, a unique key taken or a write that lost to a
 * concurrent one a 409 — instead of a 500; the next request tries the database again, so
 * nothing needs a restart once it is back.
 */
@Injectable()
export class StorageErrorsInterceptor implements NestInterceptor {
  private readonly logger = new Logger('FabricAuth');

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        const mapped = httpErrorForDatabase(error);
        if (mapped && mapped.getStatus() === 503) this.logger.warn(`database unavailable: ${(error as Error).message}`);
        return throwError(() => mapped ?? error);
      }),
    );
  }
}
