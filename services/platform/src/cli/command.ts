/**
 * The CLI's command contract. Commands are plain objects: another package's operator commands
 * (libs/operations) satisfy it structurally and plug into the registry without importing this file.
 */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM: a long-running command finishes what it holds and returns. */
  readonly signal?: AbortSignal;
}

export interface CliCommand {
  readonly name: string;
  /** One line for `cancuoc --help`. */
  readonly summary: string;
  /** The command's whole `--help` text. */
  readonly usage: string;
  /** The exit code: 0 done, 1 failed at run time, 2 bad usage (see `runCli`). */
  run(argv: readonly string[], io: CliIO): Promise<number>;
}

/** Exit codes every command shares. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Bad arguments: one line, a hint to `--help`, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure the user can act on (the platform is not reachable, a refusal): one line, exit 1. */
export class CliFailure extends Error {
  override readonly name = 'CliFailure';
}
