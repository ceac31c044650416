import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOAuth2, ApiProperty, ApiSecurity } from '../core/open-api.js';

/** Names of the security schemes `withFabricAuthSecurity` declares. */
export const SWAGGER_SCHEMES = { bearer: 'bearer', oauth2: 'oauth2', apiKey: 'api_key' } as const;

/**
 * The body of every 4xx and 5xx answer outside the token endpoint (`FabricExceptionFilter`).
 *
 * @publicApi
 */
export class ErrorResponseDto {
  @ApiProperty({ description: 'HTTP status code, repeated', example: 403 })
  statusCode!: number;

  @ApiProperty({
    description: 'What went wrong: one message, or one per refused field for validation errors',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: 'Missing permission: users:list',
  })
  message!: string | string[];

  @ApiProperty({ description: 'Reason phrase of the status', example: 'Forbidden' })
  error!: string;
}

/**
 * The credentials a route accepts, as Swagger UI can send them: a Bearer token pasted in,
 * one obtained through the OAuth2 password flow of the Authorize dialog, or an API key.
 * The session cookie is left out: a page's script cannot set a Cookie header, so Swagger
 * UI would offer a credential it never sends.
 *
 * @publicApi
 */
export function ApiFabricAuth(accepts: { apiKey?: boolean } = {}): MethodDecorator & ClassDecorator {
  const decorators = [ApiBearerAuth(SWAGGER_SCHEMES.bearer), ApiOAuth2([], SWAGGER_SCHEMES.oauth2)];
  if (accepts.apiKey !== false) decorators.push(ApiSecurity(SWAGGER_SCHEMES.apiKey));
  // The schema `withFabricAuthSecurity` gives error answers.
  decorators.push(ApiExtraModels(ErrorResponseDto));
  return applyDecorators(...decorators);
}
