import { applyDecorators, Header } from '@nestjs/common';

/**
 * For every route whose answer carries a raw secret (an API key, a token, a recovery code,
 * a TOTP secret): no cache, shared or private, may keep it (SEC-88).
 *
 * @publicApi
 */
export const NoStore = () => applyDecorators(Header('Cache-Control', 'no-store'), Header('Pragma', 'no-cache'));
