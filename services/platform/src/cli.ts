/**
 * The `cancuoc` command (bin/cancuoc.mjs runs this file): `cancuoc --help` lists the commands.
 * SIGINT and SIGTERM abort the running command's signal, so it finishes what it holds and exits
 * with its own code (130 when that left some of its work undone: `EXIT.interrupted`); a second
 * signal exits at once (130).
 */
import { EXIT } from './cli/command.js';
import { COMMANDS } from './cli/commands/index.js';
import { runCli } from './cli/registry.js';

// On mutual TLS, grpc-js puts the address it dials (127.0.0.1) in the TLS ServerName, which Node
// warns RFC 6066 does not allow (DEP0123) — a line on every run saying nothing the user can act on.
// The server's certificate is still checked against that address. Only this warning is dropped.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const [kind, code] = rest;
  if ((typeof kind === 'object' ? (kind as { code?: string } | null)?.code : code) === 'DEP0123') return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

const controller = new AbortController();
const onSignal = () => {
  if (controller.signal.aborted) process.exit(EXIT.interrupted);
  controller.abort();
};
process.on('SIGINT', onSignal);
// A reader that went away (`cancuoc agency | head`) ends the command, not with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
process.on('SIGTERM', onSignal);

const code = await runCli(
  process.argv.slice(2),
  {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    signal: controller.signal,
  },
  COMMANDS,
);
process.exitCode = code;
// Clients and timers of a finished command must not hold the process open.
setTimeout(() => process.exit(code), 200).unref();
