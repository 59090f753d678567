import { trace } from '@opentelemetry/api';
import { redact } from './privacy.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const SEVERITY: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A field's value: plain data (strings are redacted) or an exception (reduced to safe parts). */
export type LogValue =
  | string
  | number
  | boolean
  | bigint
  | null
  | undefined
  | Date
  | Error
  | readonly LogValue[]
  | { readonly [key: string]: LogValue };

export type LogFields = Readonly<Record<string, LogValue | unknown>>;

/**
 * A structured logger: one JSON object per line with `level`, `time`, `service`, `msg`, the active
 * span's `trace_id` and `span_id`, and the fields. `msg` names what happened, as a constant
 * (`relay.batch_failed`); the data goes in fields. Its `error(msg, fields)` is a `GrpcLogger`.
 */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger adding `fields` to every line (a component's name, say). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** `service` of every line: the service name, as in `OTEL_SERVICE_NAME`. */
  readonly service?: string;
  /** Lines below this level are dropped. Default `info`. */
  readonly level?: LogLevel;
  /** Where a line goes. Default: warnings and errors to stderr, the rest to stdout. */
  readonly write?: (line: string, level: LogLevel) => void;
  /** The clock of `time`. */
  readonly now?: () => Date;
}

const defaultWrite = (line: string, level: LogLevel) =>
  (SEVERITY[level] >= SEVERITY.warn ? process.stderr : process.stdout).write(`${line}\n`);

/** `LOG_LEVEL` from the environment, or `fallback` when it is unset or not a level. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env, fallback: LogLevel = 'info'): LogLevel {
  const value = env.LOG_LEVEL?.trim().toLowerCase();
  return value && value in SEVERITY ? (value as LogLevel) : fallback;
}

const MAX_DEPTH = 4;
const MAX_STRING = 2_000;

/**
 * What of an exception may be logged: its class, its code (a gRPC status, an SQLSTATE), and its
 * stack frames; never its message, nor its cause's — messages quote inputs (a domain validation
 * error names what was wrong with the request) and inputs are personal data.
 */
function describeError(error: Error): Record<string, unknown> {
  const described: Record<string, unknown> = { type: error.name };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number' || (typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code))) {
    described.code = code;
  }
  described.frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at '))
    .map((line) => redact(line.trim()));
  if (error.cause instanceof Error) described.cause = { type: error.cause.name };
  return described;
}

function safeValue(value: unknown, depth: number): unknown {
  if (value === null || value === undefined) return value ?? null;
  switch (typeof value) {
    case 'string':
      return redact(value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value);
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return redact(value.toString());
    case 'object':
      break;
    default:
      return `[${typeof value}]`;
  }
  if (value instanceof Error) return describeError(value);
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_DEPTH) return '[nested]';
  if (Array.isArray(value)) return value.map((item) => safeValue(item, depth + 1));
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return '[object]';
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = safeValue(item, depth + 1);
  return out;
}

/** Keys of a line that fields cannot overwrite. */
const RESERVED = new Set(['level', 'time', 'service', 'msg', 'trace_id', 'span_id']);

class JsonLogger implements Logger {
  constructor(
    private readonly options: LoggerOptions,
    private readonly threshold: number,
    private readonly bound: LogFields,
  ) {}

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }

  child(fields: LogFields): Logger {
    return new JsonLogger(this.options, this.threshold, { ...this.bound, ...fields });
  }

  private log(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (SEVERITY[level] < this.threshold) return;
    const line: Record<string, unknown> = {
      level,
      time: (this.options.now?.() ?? new Date()).toISOString(),
    };
    if (this.options.service) line.service = this.options.service;
    line.msg = redact(msg);
    const spanContext = trace.getActiveSpan()?.spanContext();
    if (spanContext && trace.isSpanContextValid(spanContext)) {
      line.trace_id = spanContext.traceId;
      line.span_id = spanContext.spanId;
    }
    for (const source of [this.bound, fields ?? {}]) {
      for (const [key, value] of Object.entries(source)) {
        if (!RESERVED.has(key)) line[key] = safeValue(value, 0);
      }
    }
    let text: string;
    try {
      text = JSON.stringify(line);
    } catch {
      text = JSON.stringify({
        level,
        time: line.time,
        service: line.service,
        msg: line.msg,
        unserialisable: true,
      });
    }
    (this.options.write ?? defaultWrite)(text, level);
  }
}

/** A JSON-lines logger; see {@link Logger}. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return new JsonLogger(options, SEVERITY[options.level ?? 'info'], {});
}
