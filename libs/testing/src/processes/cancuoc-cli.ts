import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The `cancuoc` bin, as `npx cancuoc` runs it. */
export const CANCUOC_BIN = fileURLToPath(
  new URL('../../../../services/platform/bin/cancuoc.mjs', import.meta.url),
);

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cancuoc …args` to its end. */
export function cancuoc(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [CANCUOC_BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collect(child);
}

export function collect(child: ChildProcess): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Resolves with the text seen so far once `pattern` appears on the child's stream. */
export function waitForOutput(
  stream: NodeJS.ReadableStream,
  pattern: RegExp,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${seen}`)),
      timeoutMs,
    );
    stream.on('data', (d: Buffer) => {
      seen += d.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
  });
}

/** A running `cancuoc …args`: what it printed so far, waits on its output, and its end. */
export interface RunningCli {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves once `pattern` is in what the stream carried so far (or rejects after `timeoutMs`). */
  until(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs: number): Promise<void>;
  readonly exit: Promise<CliRun>;
}

export function spawnCancuoc(args: readonly string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const child = spawn(process.execPath, [CANCUOC_BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const text = { stdout: '', stderr: '' };
  const waiters: { stream: 'stdout' | 'stderr'; pattern: RegExp; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.pattern.test(text[w.stream])) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout.on('data', (d: Buffer) => {
    text.stdout += d.toString();
    check();
  });
  child.stderr.on('data', (d: Buffer) => {
    text.stderr += d.toString();
    check();
  });
  const exit = new Promise<CliRun>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout: text.stdout, stderr: text.stderr })),
  );
  return {
    child,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    until: (stream, pattern, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(
            new Error(`no ${pattern} on ${stream} within ${timeoutMs} ms:\n${text.stdout}\n${text.stderr}`),
          );
        }, timeoutMs);
        const waiter = {
          stream,
          pattern,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        waiters.push(waiter);
        check();
        void exit.then(() => {
          if (!waiters.includes(waiter)) return;
          waiters.splice(waiters.indexOf(waiter), 1);
          clearTimeout(timer);
          reject(new Error(`exited before ${pattern} on ${stream}:\n${text.stdout}\n${text.stderr}`));
        });
      }),
    exit,
  };
}
