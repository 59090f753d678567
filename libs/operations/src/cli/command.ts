/** Where a command writes and what it reads: the process's streams and environment, or a test's. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
}

/** One `cancuoc <name> …` command; `run` resolves to the process's exit code. */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(argv: readonly string[], io: CliIO): Promise<number>;
}

/** Exit codes of the operator commands. */
export const EXIT = {
  ok: 0,
  /** Something failed: a service unreachable or refusing, a broken audit chain, a failed redrive. */
  failed: 1,
  /** The command line is wrong: an unknown flag, a missing argument. */
  usage: 2,
  /**
   * Stopped by SIGINT or SIGTERM before it had done all it was asked (the shell's 128 + SIGINT):
   * after finishing what it held, or at once on a second signal.
   */
  interrupted: 130,
} as const;

/** A failure whose one-line message is what the operator sees, with its exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
  }
}
