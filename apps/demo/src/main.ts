import 'reflect-metadata';
import { type INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { FabricStartupError, passwordHashSettings, upsertSystemAdmin } from 'nestjs-fabric-auth';
import { DataSource } from 'typeorm';
import { DemoAppModule } from './app.module.js';
import { type DemoConfig, loadDemoConfig } from './demo-config.js';
import { configureHttp } from './http-setup.js';

const logger = new Logger('Demo');

function warnDevelopmentSetup(config: DemoConfig): void {
  if (config.devNotices.length === 0) return;
  const bar = '!'.repeat(78);
  console.warn(`\n${bar}\n!! DEVELOPMENT SETUP: do not use this configuration in production.`);
  for (const notice of config.devNotices) console.warn(`!! - ${notice}`);
  console.warn(`${bar}\n`);
}

async function seedGeneratedAdmin(app: INestApplication, config: DemoConfig): Promise<void> {
  if (!config.generatedAdminPassword) return;
  const { created, user } = await upsertSystemAdmin(app.get(DataSource), {
    username: config.options.systemAdminUsername,
    password: config.generatedAdminPassword,
    email: config.options.systemAdminEmail,
    hashing: passwordHashSettings(config.options),
  });
  if (created) {
    console.warn(`!! System admin "${user.username}" created with the generated password: ${config.generatedAdminPassword}`);
    console.warn('!! It is shown only this once. Set FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD to choose your own.\n');
  }
}

/** `HTTP_ADAPTER=fastify` serves the same app on Fastify; Express is the default. */
function httpAdapter(env: NodeJS.ProcessEnv): 'express' | 'fastify' {
  const name = env.HTTP_ADAPTER ?? 'express';
  if (name !== 'express' && name !== 'fastify') throw new Error(`HTTP_ADAPTER: "${name}" is not express or fastify`);
  return name;
}

async function bootstrap(): Promise<void> {
  const adapter = httpAdapter(process.env);
  const config = loadDemoConfig();
  warnDevelopmentSetup(config);
  const module = DemoAppModule.register(config);
  // Nest's default abortOnError: a refusal inside create() is printed once by its ExceptionHandler, as in any host app.
  const options = { bodyParser: false } as const;
  const app = adapter === 'fastify' ? await NestFactory.create(module, new FastifyAdapter(), options) : await NestFactory.create(module, options);
  configureHttp(app);
  app.enableShutdownHooks();
  await app.init();
  await seedGeneratedAdmin(app, config);
  await app.listen(config.port, '0.0.0.0');
  const where = config.database.type === 'postgres' ? 'PostgreSQL' : `SQLite ${config.database.database}`;
  logger.log(`Listening on http://localhost:${config.port} (API under /api/v1, Swagger UI at /docs, ${where}, ${adapter})`);
}

bootstrap().catch((error: unknown) => {
  if (error instanceof FabricStartupError) console.error(error.message);
  else console.error(`Startup failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
