/**
 * Where the toolkit reports what the client must not see: unexpected exceptions in handlers (with
 * the incident id the client was given) and failures of the server itself. Inject the service's
 * structured logger; it decides what of an exception is safe to keep (no personal data in logs).
 */
export interface GrpcLogger {
  error(event: string, fields: Readonly<Record<string, unknown>>): void;
}

/**
 * The default logger: one JSON line on stderr. Of an exception it keeps the class name and the stack
 * frames but drops the message, which may quote request data.
 */
export const stderrLogger: GrpcLogger = {
  error(event, fields) {
    const safe: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(fields)) {
      safe[key] = value instanceof Error ? describeError(value) : value;
    }
    process.stderr.write(
      `${JSON.stringify({ level: 'error', time: new Date().toISOString(), event, ...safe })}\n`,
    );
  },
};

function describeError(error: Error): { name: string; frames: string[] } {
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at '))
    .map((line) => line.trim());
  return { name: error.name, frames };
}
