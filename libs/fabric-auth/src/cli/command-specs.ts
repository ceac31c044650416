import type { Command } from 'commander';

/**
 * The CLI's commands as `--help` shows them: names, arguments and options only. Kept apart from
 * their work (commands.ts, which loads Nest, TypeORM and the library) so that help, usage
 * errors and `--version` answer without loading any of it.
 */
export interface CliCommandSpec {
  name: string;
  summary: string;
  define(command: Command): Command;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export const COMMAND_SPECS: CliCommandSpec[] = [
  {
    name: 'migrate',
    summary: "apply the library's pending migrations (tables named with auth.table_prefix)",
    define: (c) => c,
  },
  {
    name: 'create-admin',
    summary: 'create the system admin (auth.system_admin_username) if it does not exist',
    define: (c) =>
      c
        .option('--username <name>', 'default: auth.system_admin_username')
        .option('--email <email>', 'default: auth.system_admin_email')
        .option('--password-stdin', 'read the password from standard input (default: auth.system_admin_password, else generated)'),
  },
  {
    name: 'create-user',
    summary: 'create a user (an activation link is printed when no password is given)',
    define: (c) =>
      c
        .argument('<username>')
        .requiredOption('--email <email>')
        .option('--full-name <name>')
        .option('--role <role>', 'a role to grant (repeatable)', collect)
        .option('--password-stdin', 'read the password from standard input'),
  },
  {
    name: 'reset-password',
    summary: "set a user's password and end their sessions",
    define: (c) => c.argument('<username>').option('--password-stdin', 'read the password from standard input (default: generated, printed once)'),
  },
  {
    name: 'create-api-key',
    summary: 'create an API key for a user or a service account; the raw key is printed once',
    define: (c) =>
      c
        .requiredOption('--name <name>', 'what the key is for')
        .option('--user <username>')
        .option('--service-account <name>')
        .option('--scope <permission>', 'a permission the key is limited to (repeatable; default: its owner’s)', collect)
        .option('--days <n>', 'lifetime in days (default: auth.api_key_default_days)'),
  },
  {
    name: 'unlock',
    summary: 'clear the password-login lock of a user (needs server.redis_url: locks live there)',
    define: (c) => c.argument('<username>'),
  },
  {
    name: 'rotate-signing-key',
    summary: 'make a new database-kept key sign access tokens; the old ones verify until their tokens expire (auth.signing)',
    define: (c) => c.option('--reason <text>', 'recorded in the audit event', 'rotated from the CLI'),
  },
  {
    name: 'list-users',
    summary: 'list users (username, email, active, roles)',
    define: (c) =>
      c.option('--limit <n>', 'at most this many (default 50, at most 500)').option('--q <prefix>', 'username or email prefix').option('--json', 'one JSON object per line'),
  },
];
