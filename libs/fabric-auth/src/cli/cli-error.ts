/** A refusal the CLI prints as one line and exits non-zero for. */
export class CliError extends Error {}
