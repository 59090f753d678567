import type { GrpcLogger } from '@cancuoc/grpc';
import type { Logger } from '../application/ports.js';

/** What a log line may say of an error: its class and code, never its message (it may quote data). */
function safe(value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, ...(typeof code === 'string' ? { code } : {}) };
  }
  return value;
}

/** JSON lines, one per event, on `write` (stderr by default). */
export class JsonLogger implements Logger, GrpcLogger {
  constructor(private readonly write: (line: string) => void = (line) => process.stderr.write(line)) {}

  private line(level: string, event: string, fields: Readonly<Record<string, unknown>> = {}): void {
    const out: Record<string, unknown> = {
      level,
      time: new Date().toISOString(),
      service: 'data-sharing',
      event,
    };
    for (const [k, v] of Object.entries(fields)) out[k] = safe(v);
    this.write(`${JSON.stringify(out)}\n`);
  }

  info(event: string, fields?: Readonly<Record<string, unknown>>): void {
    this.line('info', event, fields);
  }

  /** A refusal and the like: worth an operator's eye, not a fault of the service (`auth.refused`). */
  warn(event: string, fields?: Readonly<Record<string, unknown>>): void {
    this.line('warn', event, fields);
  }

  error(event: string, fields?: Readonly<Record<string, unknown>>): void {
    this.line('error', event, fields);
  }
}
