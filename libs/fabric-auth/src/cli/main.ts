#!/usr/bin/env node
// `npx nestjs-fabric-auth <command>`: administers the library's tables with the app's config.
// Only commander and the command list load up front: help, usage errors and --version answer
// at once; Nest, TypeORM and the library load when a command runs.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { COMMAND_SPECS } from './command-specs.js';
import type { CliGlobals } from './cli-context.js';
import type { CliOutput } from './commands.js';

const output: CliOutput = {
  out: (line) => void process.stdout.write(`${line}\n`),
  note: (line) => void process.stderr.write(`${line}\n`),
};

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** One line a person can act on, whatever failed. */
async function oneLine(error: unknown): Promise<string> {
  // Loaded here, not at the top: CliError extends FabricError, an HttpException, and --help,
  // --version and usage errors must answer without loading Nest.
  const [{ CliError }, { HttpException }, { FabricError }, { FabricConfigError }, { SystemAdminConflictError }] = await Promise.all([
    import('./cli-error.js'),
    import('@nestjs/common'),
    import('../core/fabric-error.js'),
    import('../options/fabric-config.error.js'),
    import('../access/seeding/upsert-system-admin.js'),
  ]);
  if (error instanceof CliError) return error.message;
  if (error instanceof FabricConfigError) return `invalid configuration: ${error.problems.join('; ')}`;
  if (error instanceof SystemAdminConflictError) return error.message;
  // An internal FabricError is an HttpException too, but its body is the generic 500: say its own words below.
  if (error instanceof HttpException && !(error instanceof FabricError && error.internal)) {
    const body = error.getResponse();
    const message = typeof body === 'object' && body !== null && 'message' in body ? body.message : body;
    return Array.isArray(message) ? message.join('; ') : String(message);
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/ECONNREFUSED|ENOTFOUND|getaddrinfo|password authentication|does not exist|SQLITE_CANTOPEN|unable to open/i.test(message)) {
    return `cannot open the database: ${message.split('\n')[0]}`;
  }
  return `failed: ${message.split('\n')[0]}`;
}

const program = new Command('nestjs-fabric-auth')
  .description('Administer nestjs-fabric-auth: reads the config file (--config, else CONFIG_FILE, else ./config.yaml), FABRIC_AUTH__…/FABRIC_SERVER__… and DATABASE_URL')
  .version(version, '-V, --version', 'print the version')
  .option('--config <file>', 'YAML config file (default: CONFIG_FILE, else ./config.yaml if present)')
  .option('--database <url>', 'postgres://…, sqlite:path or a SQLite file path (default: DATABASE_URL)')
  .showHelpAfterError(false)
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text.split('\n')[0] ? `${text.split('\n')[0]}\n` : text) });

for (const spec of COMMAND_SPECS) {
  const command = spec.define(program.command(spec.name).description(spec.summary)).exitOverride();
  command.action(async (...received: unknown[]) => {
    const self = received.at(-1) as Command;
    await import('reflect-metadata');
    const { COMMAND_RUNS, environmentFor } = await import('./commands.js');
    await COMMAND_RUNS[spec.name]({ environment: environmentFor(program.opts<CliGlobals>()), args: self.args, options: self.opts(), output });
  });
}

try {
  if (process.argv.length <= 2) {
    program.outputHelp();
    process.exitCode = 2;
  } else {
    await program.parseAsync(process.argv);
  }
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander already printed its one line (unknown command, missing argument…); help and --version exit 0.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    output.note(`nestjs-fabric-auth: ${await oneLine(error)}`);
    process.exitCode = 1;
  }
}
