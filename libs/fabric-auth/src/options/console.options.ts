/** `auth.console`: the admin console served in the browser (SPEC §19). */

import { Field } from './option-field.js';
import { bool, text } from './option-rules.js';

/** One or more path segments of URL-safe characters, without a trailing slash: `/admin`, `/ops/auth-console`. */
const CONSOLE_PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

/** @publicApi */
export class ConsoleOptions {
  /** Serve the admin console (a client of the REST API with the person's cookie session). Default false. */
  @Field('enabled', 'bool', bool)
  enabled?: boolean = false;

  /** Where the console is served: its page, and its assets under `<path>/assets/`. Default `/admin`. */
  @Field(
    'path',
    'string',
    text((v) =>
      CONSOLE_PATH.test(v) && !v.split('/').some((s) => s === '.' || s === '..')
        ? undefined
        : 'must be a path such as /admin (segments of letters, digits, . _ ~ -; no trailing slash)',
    ),
  )
  path?: string = '/admin';
}

export type ResolvedConsoleOptions = Required<ConsoleOptions>;
