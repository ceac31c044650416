import { FabricError } from '../core/fabric-error.js';
/** A refusal the CLI prints as one line and exits non-zero for. */
export class CliError extends FabricError {
  constructor(message: string) {
    super('cli_refused', message);
  }
}
