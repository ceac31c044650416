import type { OpenAPIObject } from '@nestjs/swagger';
import { SWAGGER_SCHEMES } from './api-docs.js';

type Content = Record<string, { schema?: { $ref?: string } }>;
type Operation = { operationId?: string; responses?: Record<string, { description?: string; content?: Content }> };

const ERROR_SCHEMA = 'ErrorResponseDto';
const OAUTH_ERROR_SCHEMA = 'OAuthErrorDto';

/** Where the token endpoint is served in this document, whatever the global prefix and `routePrefix`. */
function tokenPath(document: OpenAPIObject): string | undefined {
  for (const [path, item] of Object.entries(document.paths)) {
    if ((item.post as Operation | undefined)?.operationId === 'AuthController_token') return path;
  }
  return undefined;
}

/**
 * A route behind `OAuthErrorFilter` answers every error in its shape and documents some of them
 * with `OAuthErrorDto`: its other error answers are in that shape too, whatever its path.
 */
function answersOAuthErrors(operation: Operation): boolean {
  return Object.values(operation.responses ?? {}).some((response) => response.content?.['application/json']?.schema?.$ref === `#/components/schemas/${OAUTH_ERROR_SCHEMA}`);
}

/**
 * Declares the security schemes the library's operations name, so that Swagger UI's
 * Authorize dialog works: `oauth2` is the password flow against this app's own token
 * endpoint (its `tokenUrl` is found in the document, so it follows any prefix), `bearer`
 * takes a pasted access token, `api_key` the `X-API-Key` header. Error answers without a
 * body schema get the one they have on the wire (`OAuthErrorDto` on the routes that document it
 * for another error, else `ErrorResponseDto`). Call it on `SwaggerModule.createDocument`'s
 * result, before `SwaggerModule.setup`.
 *
 * @publicApi
 */
export function withFabricAuthSecurity(document: OpenAPIObject): OpenAPIObject {
  const tokenUrl = tokenPath(document);
  const components = (document.components ??= {});
  components.securitySchemes = {
    ...components.securitySchemes,
    // Without the auth controller mounted there is no password flow to offer.
    ...(tokenUrl && {
      [SWAGGER_SCHEMES.oauth2]: {
        type: 'oauth2' as const,
        description: 'Username and password, exchanged at the token endpoint for a Bearer token',
        flows: { password: { tokenUrl, refreshUrl: tokenUrl, scopes: {} } },
      },
    }),
    [SWAGGER_SCHEMES.bearer]: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from the token endpoint' },
    [SWAGGER_SCHEMES.apiKey]: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key (`fab_…`)' },
  };
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as Operation[]) {
      if (typeof operation !== 'object' || operation === null || !operation.responses) continue;
      const schema = answersOAuthErrors(operation) ? OAUTH_ERROR_SCHEMA : ERROR_SCHEMA;
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400 || response.content) continue;
        response.content = { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } };
      }
    }
  }
  return document;
}
