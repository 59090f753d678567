import { createLogger } from '@cancuoc/observability';

/**
 * Where the toolkit reports what the client must not see: unexpected exceptions in handlers (with
 * the incident id the client was given) and failures of the server itself. Pass the service's
 * logger from `@cancuoc/observability` (its `error(msg, fields)` fits): it keeps of an exception only
 * what is safe (no personal data in logs) and adds the call's trace and span ids.
 */
export interface GrpcLogger {
  error(event: string, fields: Readonly<Record<string, unknown>>): void;
}

/**
 * The default logger: `@cancuoc/observability`'s JSON lines on stderr. Of an exception it keeps the
 * class name, code and stack frames but drops the message, which may quote request data.
 */
export const stderrLogger: GrpcLogger = createLogger({
  service: process.env.OTEL_SERVICE_NAME,
  write: (line) => process.stderr.write(`${line}\n`),
});
