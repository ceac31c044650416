import { type ArgumentMetadata, BadRequestException, ValidationPipe } from '@nestjs/common';

function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 8 || typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([key, v]) => key.includes('\u0000') || containsNul(v, depth + 1));
}

/** PostgreSQL refuses NUL in text; refuse it up front with a 400 instead of a failed query. */
class FabricValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (containsNul(value)) throw new BadRequestException(`${metadata.type} must not contain NUL characters`);
    return super.transform(value, metadata);
  }
}

/**
 * The library's own pipe, applied on its controllers whatever the host app configured:
 * unknown fields are refused (no mass assignment), types are exact, messages name fields.
 */
export function fabricValidationPipe(): ValidationPipe {
  return new FabricValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const messages = errors.flatMap((error) => {
        const constraints = Object.values(error.constraints ?? {});
        const nested = (error.children ?? []).flatMap((child) => Object.values(child.constraints ?? {}).map((m) => `${error.property}.${m}`));
        return constraints.length > 0 || nested.length > 0 ? [...constraints, ...nested] : [`${error.property} is invalid`];
      });
      return new BadRequestException(messages);
    },
  });
}
