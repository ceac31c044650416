import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { applyFabricHttpHardening } from 'nestjs-fabric-auth';

/** HTTP hardening and docs, shared by `main.ts` and the e2e tests so both serve the same app. */
export function configureHttp(app: INestApplication): void {
  applyFabricHttpHardening(app);
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
