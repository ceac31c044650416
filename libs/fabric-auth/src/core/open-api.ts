import type { Type } from '@nestjs/common';
import { OmitType as OmitFields, PartialType as PartialFields } from '@nestjs/mapped-types';
import type * as Swagger from '@nestjs/swagger';

/**
 * The `@nestjs/swagger` decorators the library uses, deferred: @nestjs/swagger costs ~10 MiB and
 * ~0.4 s of CPU to load, which an app that does not document the library's routes should not pay
 * (`forRoot({ openApi: false })`). Each decorator applied before `describeForOpenApi()` is kept, in
 * the order applied, and replayed in that order once @nestjs/swagger has loaded; after that it
 * applies at once. Same arguments, same metadata, on the same targets as the eager decorators.
 */
type SwaggerModule = typeof Swagger;
type Step = (swagger: SwaggerModule) => void;
type AnyDecorator = (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => unknown;

const pending: Step[] = [];
let swagger: SwaggerModule | undefined;
let described: Promise<void> | undefined;

function whenDescribed(step: Step): void {
  if (swagger) step(swagger);
  else pending.push(step);
}

/** Loads @nestjs/swagger (once) and applies every decorator kept so far. */
export function describeForOpenApi(): Promise<void> {
  described ??= import('@nestjs/swagger').then((loaded) => {
    swagger = loaded;
    for (const step of pending.splice(0)) step(loaded);
  });
  return described;
}

function deferred<N extends keyof SwaggerModule>(name: N): SwaggerModule[N] {
  const factory =
    (...args: unknown[]) =>
    (target: object, key?: string | symbol, descriptor?: PropertyDescriptor): void =>
      whenDescribed((loaded) => {
        (loaded[name] as (...args: unknown[]) => AnyDecorator)(...args)(target, key, descriptor);
      });
  return factory as SwaggerModule[N];
}

export const ApiAcceptedResponse = deferred('ApiAcceptedResponse');
export const ApiBadGatewayResponse = deferred('ApiBadGatewayResponse');
export const ApiBadRequestResponse = deferred('ApiBadRequestResponse');
export const ApiBearerAuth = deferred('ApiBearerAuth');
export const ApiBody = deferred('ApiBody');
export const ApiConflictResponse = deferred('ApiConflictResponse');
export const ApiConsumes = deferred('ApiConsumes');
export const ApiCreatedResponse = deferred('ApiCreatedResponse');
export const ApiExtraModels = deferred('ApiExtraModels');
export const ApiForbiddenResponse = deferred('ApiForbiddenResponse');
export const ApiFoundResponse = deferred('ApiFoundResponse');
export const ApiNoContentResponse = deferred('ApiNoContentResponse');
export const ApiNotFoundResponse = deferred('ApiNotFoundResponse');
export const ApiOAuth2 = deferred('ApiOAuth2');
export const ApiOkResponse = deferred('ApiOkResponse');
export const ApiOperation = deferred('ApiOperation');
export const ApiParam = deferred('ApiParam');
export const ApiPayloadTooLargeResponse = deferred('ApiPayloadTooLargeResponse');
export const ApiProperty = deferred('ApiProperty');
export const ApiPropertyOptional = deferred('ApiPropertyOptional');
export const ApiQuery = deferred('ApiQuery');
export const ApiSecurity = deferred('ApiSecurity');
export const ApiTags = deferred('ApiTags');
export const ApiServiceUnavailableResponse = deferred('ApiServiceUnavailableResponse');
export const ApiTooManyRequestsResponse = deferred('ApiTooManyRequestsResponse');
export const ApiUnauthorizedResponse = deferred('ApiUnauthorizedResponse');

/**
 * Gives `to` the documented fields of `from` that `keep` accepts, as @nestjs/swagger's mapped
 * types do: each field's `ApiProperty` metadata, through `change`.
 */
function copyDocumentedFields(from: Type, to: Type, keep: (field: string) => boolean, change: (metadata: object) => object): void {
  whenDescribed((loaded) => {
    const listed = (Reflect.getMetadata(loaded.DECORATORS.API_MODEL_PROPERTIES_ARRAY, from.prototype) ?? []) as unknown[];
    const fields = listed.filter((k): k is string => typeof k === 'string' && k.startsWith(':')).map((k) => k.slice(1));
    for (const field of fields.filter(keep)) {
      const metadata = (Reflect.getMetadata(loaded.DECORATORS.API_MODEL_PROPERTIES, from.prototype, field) ?? {}) as object;
      loaded.ApiProperty(change(metadata))(to.prototype, field);
    }
  });
}

/**
 * `PartialType` of @nestjs/swagger without loading it: @nestjs/mapped-types copies the validation
 * and transformation rules now, every validated field optional (so validation never depends on
 * `openApi`); the documented fields follow, not required, when described.
 */
export function PartialType<T>(classRef: Type<T>, options?: { skipNullProperties?: boolean }): ReturnType<typeof PartialFields<T>> {
  const partial = PartialFields(classRef, options);
  copyDocumentedFields(
    classRef,
    partial,
    () => true,
    (metadata) => ({ ...metadata, required: false }),
  );
  return partial;
}

/** `OmitType` of @nestjs/swagger without loading it (see `PartialType`). */
export function OmitType<T, K extends keyof T>(classRef: Type<T>, keys: readonly K[]): ReturnType<typeof OmitFields<T, K>> {
  const omitted = OmitFields(classRef, keys);
  copyDocumentedFields(
    classRef,
    omitted,
    (field) => !keys.includes(field as K),
    (metadata) => metadata,
  );
  return omitted;
}
