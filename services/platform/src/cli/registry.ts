import { CliError } from '@cancuoc/operations';
import { CliFailure, EXIT, Interrupted, UsageError, type CliCommand, type CliIO } from './command.js';

const HEADER = `cancuoc: run and exercise the Cancuoc platform (population register and chip identity card)

Usage: cancuoc <command> [options]      cancuoc <command> --help
`;

const FOOTER = `
Commands reach the services over gRPC at 127.0.0.1:50051-50054 (flags and
CANCUOC_<SERVICE>_ADDRESS change them). Tokens: embedded, minted by the platform's development
issuer in .data/issuer.json (--data-dir or CANCUOC_DATA_DIR for another folder); in server mode
(CANCUOC_OIDC_ISSUER set), from the OpenID provider: cancuoc login once, or CANCUOC_TOKEN; mutual
TLS with CANCUOC_TLS_CERT_FILE, CANCUOC_TLS_KEY_FILE and CANCUOC_TLS_CA_FILE. An embedded platform
on mutual TLS (cancuoc start --tls) has its CA in the data folder: the commands issue their own
certificates from it.
Exit codes: 0 done, 1 failed, 2 bad usage, 130 stopped by Ctrl-C or SIGTERM before it was done.
Ctrl-C (or SIGTERM) lets a command finish what it holds; a second one stops it at once (130).
start, station and agency run until they are stopped, and then exit 0.
`;

export function helpText(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `${HEADER}\nCommands:\n${lines.join('\n')}\n${FOOTER}`;
}

/**
 * Runs one command line: `--help` anywhere lists the commands (or the command's own usage);
 * an unknown command or a bad flag is one line and a hint, exit 2; a failure is one line, exit 1.
 * An unexpected error shows only its class: its message may carry data not ours to print.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIO,
  commands: readonly CliCommand[],
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr(helpText(commands));
    return EXIT.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    io.stdout(topic ? topic.usage : helpText(commands));
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr(`cancuoc: unknown command "${name}"\nTry: cancuoc --help\n`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`cancuoc ${command.name}: ${error.message}\nTry: cancuoc ${command.name} --help\n`);
      return EXIT.usage;
    }
    if (error instanceof CliFailure) {
      io.stderr(`cancuoc ${command.name}: ${error.message}\n`);
      return error instanceof Interrupted ? EXIT.interrupted : EXIT.failed;
    }
    // The shared credential code (libs/operations) fails with its own one line and exit code.
    if (error instanceof CliError) {
      io.stderr(
        `cancuoc ${command.name}: ${error.message}\n${error.exitCode === EXIT.usage ? `Try: cancuoc ${command.name} --help\n` : ''}`,
      );
      return error.exitCode;
    }
    io.stderr(
      `cancuoc ${command.name}: failed (${(error as Error)?.name ?? 'error'}; CANCUOC_DEBUG=1 shows more)\n`,
    );
    // Opt-in, on the developer's own terminal: a driver's message may quote data.
    if (io.env.CANCUOC_DEBUG === '1') io.stderr(`${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT.failed;
  }
}
