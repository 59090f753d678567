import { operations } from '@cancuoc/proto';
import { parse, text } from './args.js';
import { CliError, EXIT, type CliCommand } from './command.js';
import { command } from './run.js';
import {
  CONNECTION_OPTIONS,
  CONNECTION_USAGE,
  Connection,
  SERVICES,
  isServiceName,
  type ServiceName,
} from './services.js';

const USAGE = `Usage: cancuoc audit verify [--service <name> | --all] [connection flags]

Re-derives each service's audit hash chain from its first entry (OperationsService/VerifyAuditLog)
and prints, per service, the entries checked and the head, or the first entry that does not fit.
Exit 0 when every chain checked holds, 1 when one is broken or a service cannot be reached, 2 for a
wrong command line.

  --service <name>   one service: registry, enrollment, card-production, data-sharing
  --all              every service (the default)

${CONNECTION_USAGE}
`;

const KIND: Record<number, string> = {
  [operations.AuditProblemKind.HASH_MISMATCH]: 'HASH_MISMATCH',
  [operations.AuditProblemKind.PREVIOUS_HASH_MISMATCH]: 'PREVIOUS_HASH_MISMATCH',
  [operations.AuditProblemKind.SEQUENCE_GAP]: 'SEQUENCE_GAP',
  [operations.AuditProblemKind.HEAD_MISMATCH]: 'HEAD_MISMATCH',
};

/** Which services a command addresses: `--service s` or all of them. */
export function chosenServices(service: string | boolean | undefined, all: boolean): readonly ServiceName[] {
  const name = text(service);
  if (name !== undefined && all) throw new CliError('give --service or --all, not both', EXIT.usage);
  if (name === undefined) return SERVICES.map((s) => s.name);
  if (!isServiceName(name))
    throw new CliError(
      `unknown service "${name}" (registry, enrollment, card-production, data-sharing)`,
      EXIT.usage,
    );
  return [name];
}

export const auditCommand: CliCommand = command(
  { name: 'audit', summary: "verify the services' audit hash chains", usage: USAGE },
  async (argv, io) => {
    const { values, positionals } = parse(argv, {
      ...CONNECTION_OPTIONS,
      service: { type: 'string' },
      all: { type: 'boolean' },
    });
    if (positionals[0] !== 'verify' || positionals.length > 1)
      throw new CliError(
        positionals.length === 0
          ? 'missing subcommand: audit verify'
          : `unknown subcommand "${positionals.join(' ')}"`,
        EXIT.usage,
      );
    const services = chosenServices(values.service, values.all === true);
    const connection = new Connection(values, io.env);
    let code: number = EXIT.ok;
    for (const service of services) {
      try {
        const r = await connection.call(service, operations.OperationsService, (c) => c.verifyAuditLog({}));
        if (r.intact) {
          io.stdout(
            `${service}: intact, ${r.entriesChecked} entries checked, head ${r.head?.seq ?? 0n} ${r.head?.hash.slice(0, 16) ?? ''}…` +
              (r.unsealedEntries > 0n ? `, ${r.unsealedEntries} not sealed yet` : '') +
              '\n',
          );
        } else {
          code = EXIT.failed;
          io.stdout(
            `${service}: BROKEN at entry ${r.problem?.seq ?? 0n} (${KIND[r.problem?.kind ?? 0] ?? 'UNKNOWN'}): ` +
              `${r.problem?.description ?? ''}; ${r.entriesChecked} entries before it are sound\n`,
          );
        }
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        code = EXIT.failed;
        io.stderr(`cancuoc audit: ${error.message}\n`);
      }
    }
    return code;
  },
);
