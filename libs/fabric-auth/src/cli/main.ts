#!/usr/bin/env node
// `npx nestjs-fabric-auth <command>`: administers the library's tables with the app's config.
import 'reflect-metadata';
import { HttpException } from '@nestjs/common';
import { Command, CommanderError } from 'commander';
import { FabricConfigError } from '../fabric-auth.options.js';
import { SystemAdminConflictError } from '../seeding/upsert-system-admin.js';
import { CliError, type CliGlobals } from './cli-context.js';
import { COMMANDS, type CliOutput, environmentFor } from './commands.js';

const output: CliOutput = {
  out: (line) => void process.stdout.write(`${line}\n`),
  note: (line) => void process.stderr.write(`${line}\n`),
};

/** One line a person can act on, whatever failed. */
function oneLine(error: unknown): string {
  if (error instanceof FabricConfigError) return `invalid configuration: ${error.problems.join('; ')}`;
  if (error instanceof HttpException) {
    const body = error.getResponse();
    const message = typeof body === 'object' && body !== null && 'message' in body ? (body as { message: unknown }).message : body;
    return Array.isArray(message) ? message.join('; ') : String(message);
  }
  if (error instanceof CliError || error instanceof SystemAdminConflictError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  if (/ECONNREFUSED|ENOTFOUND|getaddrinfo|password authentication|does not exist|SQLITE_CANTOPEN|unable to open/i.test(message)) {
    return `cannot open the database: ${message.split('\n')[0]}`;
  }
  return `failed: ${message.split('\n')[0]}`;
}

const program = new Command('nestjs-fabric-auth')
  .description('Administer nestjs-fabric-auth: reads the config file (--config or CONFIG_FILE), FABRIC_AUTH__…/FABRIC_SERVER__… and DATABASE_URL')
  .option('--config <file>', 'YAML config file (default: CONFIG_FILE)')
  .option('--database <url>', 'postgres://… or a SQLite file (default: DATABASE_URL)')
  .showHelpAfterError(false)
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text.split('\n')[0] ? `${text.split('\n')[0]}\n` : text) });

for (const spec of COMMANDS) {
  const command = spec.define(program.command(spec.name).description(spec.summary)).exitOverride();
  command.action(async (...received: unknown[]) => {
    const self = received.at(-1) as Command;
    const args = self.args;
    await spec.run({ environment: environmentFor(program.opts<CliGlobals>()), args, options: self.opts(), output });
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
    // Commander already printed its one line (unknown command, missing argument…); help exits 0.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    output.note(`nestjs-fabric-auth: ${oneLine(error)}`);
    process.exitCode = 1;
  }
}
