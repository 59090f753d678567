import type { CliCommand } from './command.js';

export interface CapturedRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` with `argv`, collecting what it writes: for tests and for tools that embed it. */
export async function captureRun(
  command: CliCommand,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = {},
  signal?: AbortSignal,
): Promise<CapturedRun> {
  let stdout = '';
  let stderr = '';
  const code = await command.run(argv, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env,
    ...(signal && { signal }),
  });
  return { code, stdout, stderr };
}
