import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { FabricExceptionFilter } from 'nestjs-fabric-auth';

/** Largest JSON or form body accepted; bigger ones get 413 before any handler runs. */
export const BODY_LIMIT = '64kb';

/** HTTP hardening and docs, shared by `main.ts` and the e2e tests so both serve the same app. */
export function configureHttp(app: INestApplication): void {
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  express.set('query parser', 'simple');
  express.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          frameAncestors: ["'none'"],
          imgSrc: ["'self'", 'data:'],
          styleSrc: ["'self'", "'unsafe-inline'"],
          upgradeInsecureRequests: null,
        },
      },
      strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  app.useGlobalFilters(new FabricExceptionFilter(app.getHttpAdapter()));
  express.useBodyParser('json', { limit: BODY_LIMIT });
  express.useBodyParser('urlencoded', { limit: BODY_LIMIT, extended: false });
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('nestjs-fabric-auth demo')
      .setDescription('JWT, cookie and API-key authentication, users and roles')
      .setVersion('0.1.0')
      .addBearerAuth()
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api_key')
      .addCookieAuth('access_token')
      .addOAuth2({ type: 'oauth2', flows: { password: { tokenUrl: '/api/v1/auth/token', scopes: {} } } })
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
}
