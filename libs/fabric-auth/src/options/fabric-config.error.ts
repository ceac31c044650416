import { inspect } from 'node:util';
import { FabricError, type FabricErrorCode } from '../core/fabric-error.js';

/**
 * A refusal to start that an operator fixes outside the code (configuration, a database that is
 * down or missing). Logged, it is its message alone: Nest's `ExceptionHandler` and `console.error`
 * print the block without the library's stack frames, which say nothing about the fix. Every
 * other error (a real bug) keeps its stack.
 *
 * @publicApi
 */
export class FabricStartupError extends FabricError {
  constructor(message: string, code: FabricErrorCode = 'startup_refused') {
    super(code, message);
  }

  [inspect.custom](): string {
    return this.message;
  }
}

/** @publicApi */
export class FabricConfigError extends FabricStartupError {
  constructor(readonly problems: string[]) {
    super(`Invalid nestjs-fabric-auth configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`, 'invalid_configuration');
  }
}
