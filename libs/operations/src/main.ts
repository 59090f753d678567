// The operator commands on their own, for where the platform's `cancuoc` CLI is not installed: every
// service image carries this file, so an operator-tool pod on Kubernetes runs
// `node libs/operations/dist/main.js redrive <topic>` with the operator's Kafka credentials.
import { operatorCommands } from './cli/index.js';

const USAGE = `Usage: main.js <command> [flags]   (--help after a command for its flags)

${operatorCommands.map((c) => `  ${c.name.padEnd(9)} ${c.summary}`).join('\n')}
`;

async function main(): Promise<number> {
  const [name, ...argv] = process.argv.slice(2);
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = operatorCommands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`unknown command "${name}" (${operatorCommands.map((c) => c.name).join(', ')})\n`);
    return 2;
  }
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  return command.run(argv, {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    signal: abort.signal,
  });
}

process.exitCode = await main();
