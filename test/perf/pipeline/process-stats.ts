/**
 * Process accounting from Linux's /proc: CPU time (utime + stime) and resident memory of a process
 * that runs one service (or the whole embedded platform), read from outside it.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux everywhere that matters). */
const TICKS_PER_SECOND = 100;

/** CPU time the process used so far, user and system, in milliseconds. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: the fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 (utime) and 15 (stime), counted from 1; here from field 3 at index 0.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

export interface Memory {
  /** Resident set now, MB. */
  readonly rssMb: number;
  /** The largest resident set so far, MB. */
  readonly peakMb: number;
}

export function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/**
 * Times the process's main thread (the event loop) went to sleep and was woken since it started:
 * its voluntary context switches. Idle, each is one wake-up of the loop (a timer, a socket read).
 */
export function wakeUps(pid: number): number {
  const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
  return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
}

/** CPU milliseconds per process between `start()` and `stop()`. */
export class CpuMeter {
  private readonly started = new Map<string, number>();

  constructor(private readonly pids: ReadonlyMap<string, number>) {}

  start(): this {
    for (const [name, pid] of this.pids) this.started.set(name, cpuMs(pid));
    return this;
  }

  /** Milliseconds of CPU each process used since `start()`. */
  read(): Map<string, number> {
    return new Map([...this.pids].map(([name, pid]) => [name, cpuMs(pid) - this.started.get(name)!]));
  }
}
