import { readFileSync } from 'node:fs';

/** One look at a process's memory, in MiB. */
export interface Sample {
  /** Resident set (`VmRSS`). */
  readonly rss: number;
  /** Highest resident set so far (`VmHWM`). */
  readonly hwm: number;
  /** V8's JavaScript heap in use. */
  readonly heapUsed: number;
  /** Memory V8 is told of outside its heap: WebAssembly memories (PGlite's heaps), buffers. */
  readonly external: number;
}

const MIB = 1024 * 1024;

function statusKb(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc/self/status`);
  return Number(match[1]);
}

/** This process's memory now. */
export function sample(): Sample {
  const status = readFileSync('/proc/self/status', 'utf8');
  const usage = process.memoryUsage();
  return {
    rss: statusKb(status, 'VmRSS') / 1024,
    hwm: statusKb(status, 'VmHWM') / 1024,
    heapUsed: usage.heapUsed / MIB,
    external: usage.external / MIB,
  };
}

/** Runs a full collection when the process was started with `--expose-gc`. */
export function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export const mib = (value: number): string => Math.round(value).toLocaleString('en-US');
