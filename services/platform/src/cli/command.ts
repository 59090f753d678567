/**
 * The CLI's command contract and exit codes are libs/operations': its operator commands and these
 * share one shape.
 */
export { EXIT, type CliCommand, type CliIO } from '@cancuoc/operations';

/** Bad arguments: one line, a hint to `--help`, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure the user can act on (the platform is not reachable, a refusal): one line, exit 1. */
export class CliFailure extends Error {
  override readonly name: string = 'CliFailure';
}

/** Stopped by SIGINT or SIGTERM before it was done: one line, exit 130. */
export class Interrupted extends CliFailure {
  override readonly name = 'Interrupted';
  constructor(message = 'stopped by a signal before it was done') {
    super(message);
  }
}
