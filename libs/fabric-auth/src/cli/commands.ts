import { randomBytes } from 'node:crypto';
import type { INestApplicationContext, Type } from '@nestjs/common';
import { getRepositoryToken } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ApiKeysService } from '../access/api-keys/api-keys.service.js';
import { CreateApiKeyDto } from '../access/api-keys/dto/api-key.dto.js';
import { fabricValidationPipe } from '../http/validation.js';
import { systemActor } from '../core/system-actor.js';
import { passwordHashSettings } from '../core/password-hashes.js';
import { upsertSystemAdmin } from '../access/seeding/upsert-system-admin.js';
import { ServiceAccountEntity } from '../schema/entities/service-account.entity.js';
import { SigningKeysService } from '../access/signing/signing-keys.service.js';
import { ChangePasswordDto, CreateUserDto, ListUsersQueryDto } from '../features/users/dto/user.dto.js';
import { UserManagementService } from '../features/users/user-management.service.js';
import { UserEntity } from '../schema/entities/user.entity.js';
import { CliError, type CliEnvironment, cliEnvironment, type CliGlobals, openDataSource, openFabric } from './cli-context.js';

const ACTOR = systemActor('cli');

/** Output: results on stdout (a raw key alone on its line), notices on stderr. */
export interface CliOutput {
  out(line: string): void;
  note(line: string): void;
}

/**
 * The work of one subcommand (its arguments and options are declared in command-specs.ts),
 * done through the library's services.
 */
export type CliCommandRun = (context: { environment: CliEnvironment; args: string[]; options: Record<string, unknown>; output: CliOutput }) => Promise<void>;

/** The library's own validation of a request body, so bad input is refused as over HTTP. */
async function validated<T extends object>(type: Type<T>, input: Record<string, unknown>): Promise<T> {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  return (await fabricValidationPipe().transform(defined, { type: 'body', metatype: type })) as T;
}

async function withFabric(environment: CliEnvironment, work: (app: INestApplicationContext) => Promise<void>): Promise<void> {
  const app = await openFabric(environment);
  try {
    await work(app);
  } finally {
    await app.close();
  }
}

/** The password to set: from stdin with --password-stdin, else a generated one printed once. */
async function passwordFrom(options: Record<string, unknown>, output: CliOutput): Promise<string> {
  if (!options.passwordStdin) {
    const generated = randomBytes(18).toString('base64url');
    output.note('generated password (shown once):');
    output.out(generated);
    return generated;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (password.length === 0) throw new CliError('--password-stdin: no password on standard input');
  return password;
}

export const COMMAND_RUNS: Record<string, CliCommandRun> = {
  async migrate({ environment, output }) {
    const dataSource = await openDataSource(environment);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      output.out(applied.length === 0 ? 'up to date' : `applied ${applied.length}: ${applied.map((m) => m.name).join(', ')}`);
    } finally {
      await dataSource.destroy();
    }
  },
  async 'create-admin'({ environment, options, output }) {
    const { options: config } = environment;
    const password = options.passwordStdin || !config.systemAdminPassword ? await passwordFrom(options, output) : config.systemAdminPassword;
    await withFabric(environment, async (app) => {
      const { created, user } = await upsertSystemAdmin(app.get(getRepositoryToken(UserEntity), { strict: false }).manager.connection, {
        username: (options.username as string | undefined) ?? config.systemAdminUsername,
        email: (options.email as string | undefined) ?? config.systemAdminEmail,
        password,
        hashing: passwordHashSettings(config),
      });
      output.out(created ? `system admin "${user.username}" created` : `system admin "${user.username}" already exists (unchanged)`);
    });
  },
  async 'create-user'({ environment, args, options, output }) {
    const password = options.passwordStdin ? await passwordFrom(options, output) : undefined;
    const dto = await validated(CreateUserDto, {
      username: args[0],
      email: options.email,
      full_name: options.fullName,
      roles: options.role,
      password,
    });
    await withFabric(environment, async (app) => {
      const user = await app.get(UserManagementService, { strict: false }).create(ACTOR, dto);
      output.out(`created user "${user.username}" (${user.id})${user.roles.length ? ` with roles ${user.roles.join(', ')}` : ''}`);
    });
  },
  async 'reset-password'({ environment, args, options, output }) {
    await withFabric(environment, async (app) => {
      const users = app.get(UserManagementService, { strict: false });
      await users.get(ACTOR, args[0]);
      const dto = await validated(ChangePasswordDto, { new_password: await passwordFrom(options, output) });
      await users.changePassword(ACTOR, args[0], dto);
      output.note(`password of "${args[0]}" set; their sessions are revoked`);
    });
  },
  async 'create-api-key'({ environment, options, output }) {
    if (Boolean(options.user) === Boolean(options.serviceAccount)) throw new CliError('create-api-key: give exactly one of --user or --service-account');
    const days = options.days === undefined ? undefined : Number(options.days);
    if (days !== undefined && !Number.isInteger(days)) throw new CliError('--days: must be a whole number of days');
    const dto = await validated(CreateApiKeyDto, { name: options.name, scopes: options.scope, expires_in_days: days });
    await withFabric(environment, async (app) => {
      let owner: { kind: 'user' | 'service_account'; id: string };
      if (options.user) {
        owner = { kind: 'user', id: (await app.get(UserManagementService, { strict: false }).get(ACTOR, options.user as string)).id };
      } else {
        const accounts = app.get<Repository<ServiceAccountEntity>>(getRepositoryToken(ServiceAccountEntity), { strict: false });
        const account = await accounts.findOneBy({ name: options.serviceAccount as string });
        if (!account) throw new CliError(`no service account named "${options.serviceAccount as string}"`);
        owner = { kind: 'service_account', id: account.id };
      }
      const mintScope = owner.kind === 'user' ? 'api_keys:create' : 'service_accounts:create';
      const created = await app.get(ApiKeysService, { strict: false }).create(ACTOR, owner, dto, mintScope);
      output.note(`API key "${created.name}" (${created.id}) expires ${created.expires_at ?? 'never'}; it is shown once:`);
      output.out(created.key);
    });
  },
  async unlock({ environment, args, output }) {
    if (!environment.options.redisUrl) {
      throw new CliError("unlock: without server.redis_url, locks live in the running app's memory; use POST /users/{username}/unlock on the app");
    }
    await withFabric(environment, async (app) => {
      await app.get(UserManagementService, { strict: false }).unlock(ACTOR, args[0]);
      output.out(`unlocked "${args[0]}"`);
    });
  },
  async 'rotate-signing-key'({ environment, options, output }) {
    await withFabric(environment, async (app) => {
      const rotated = await app.get(SigningKeysService, { strict: false }).rotate(ACTOR, undefined, options.reason as string);
      // Running instances pick the new key up within auth.signing.refresh_interval, or at once on its kid.
      output.out(`signing with ${rotated.kid} (${rotated.algorithm}); earlier keys verify until their tokens have expired`);
    });
  },
  async 'list-users'({ environment, options, output }) {
    const query = await validated(ListUsersQueryDto, { limit: options.limit, q: options.q });
    await withFabric(environment, async (app) => {
      const page = await app.get(UserManagementService, { strict: false }).list(query);
      for (const u of page.items) {
        output.out(options.json ? JSON.stringify(u) : `${u.username}\t${u.email ?? '-'}\t${u.is_active ? 'active' : 'inactive'}\t${u.roles.join(',') || '-'}`);
      }
      output.note(`${page.items.length} of ${page.total}`);
    });
  },
};

export function environmentFor(globals: CliGlobals): CliEnvironment {
  return cliEnvironment(globals);
}
