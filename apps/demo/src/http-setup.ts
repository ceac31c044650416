import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { applyFabricHttpHardening, type FabricHttpHardeningOptions, withFabricAuthSecurity } from 'nestjs-fabric-auth';

/** HTTP hardening and docs, shared by `main.ts` and the e2e tests so both serve the same app. */
export function configureHttp(app: INestApplication, hardening: FabricHttpHardeningOptions = {}): void {
  applyFabricHttpHardening(app, hardening);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('nestjs-fabric-auth demo')
      .setDescription(
        'JWT, API-key and cookie authentication, users and roles. Authorize with the OAuth2 password flow ' +
          '(username and password), a pasted Bearer token or an API key; browsers also use the session cookies ' +
          'set by `POST /auth/token` with `set_cookies=true`, which Swagger UI cannot send.',
      )
      .setVersion('0.1.0')
      .build(),
  );
  SwaggerModule.setup('docs', app, withFabricAuthSecurity(document));
}
