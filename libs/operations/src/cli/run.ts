import { CliError, EXIT, type CliCommand, type CliIO } from './command.js';

/**
 * A command's body with the shared behaviour around it: `--help` prints the usage, a `CliError`
 * becomes its one line on stderr and its exit code, anything else one line naming its class.
 */
export function command(
  spec: Omit<CliCommand, 'run'>,
  body: (argv: readonly string[], io: CliIO) => Promise<number>,
): CliCommand {
  return {
    ...spec,
    run: async (argv, io) => {
      if (argv.includes('--help') || argv.includes('-h')) {
        io.stdout(spec.usage.endsWith('\n') ? spec.usage : `${spec.usage}\n`);
        return EXIT.ok;
      }
      try {
        return await body(argv, io);
      } catch (error) {
        if (error instanceof CliError) {
          io.stderr(`cancuoc ${spec.name}: ${error.message}\n`);
          return error.exitCode;
        }
        io.stderr(`cancuoc ${spec.name}: failed (${error instanceof Error ? error.name : typeof error})\n`);
        return EXIT.failed;
      }
    },
  };
}
