/**
 * The `cancuoc` command (bin/cancuoc.mjs runs this file): `cancuoc --help` lists the commands.
 * SIGINT and SIGTERM abort the running command's signal, so it finishes what it holds and exits
 * with its own code (130 when that left some of its work undone: `EXIT.interrupted`); a second
 * signal exits at once (130).
 */
import { EXIT } from './cli/command.js';
import { COMMANDS } from './cli/commands/index.js';
import { runCli } from './cli/registry.js';

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
