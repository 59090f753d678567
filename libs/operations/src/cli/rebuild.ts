import { operations } from '@cancuoc/proto';
import { parse } from './args.js';
import { chosenServices } from './audit.js';
import { CliError, EXIT, type CliCommand, type CliIO } from './command.js';
import { command } from './run.js';
import { CONNECTION_OPTIONS, CONNECTION_USAGE, Connection, type ServiceName } from './services.js';
import { duration, table } from './table.js';

const USAGE = `Usage: cancuoc rebuild --list [--service <name>] [connection flags]
       cancuoc rebuild <projection> [--service <name>] [--wait] [connection flags]

Lists the services' projections (read models kept from their event logs), or rebuilds one: its
checkpoint goes back to the first event and the log is replayed into the same rows, which keep
answering reads meanwhile. The rebuild is done when the position reaches the target shown.

  --list             the projections: position (global position of the last event applied), lag
                     (events not applied yet, and the age of the oldest), rebuild in progress
  --service <name>   only this service's projections (else every service is asked)
  --wait             after starting the rebuild, wait until it has reached its target

Exit 0 on success, 1 when a service is unreachable or refuses (an unknown projection), 2 for a wrong
command line.

${CONNECTION_USAGE}
`;

type Projection = operations.Projection;

const row = (service: ServiceName, p: Projection) => [
  service,
  p.name,
  p.position.toString(),
  `${p.lag}${p.lagCapped ? '+' : ''}`,
  p.lag > 0n ? duration(p.lagSeconds) : '-',
  p.rebuilding ? `to ${p.rebuildTargetPosition} since ${p.rebuildStartedAt}` : '-',
];

const HEADER = ['SERVICE', 'PROJECTION', 'POSITION', 'LAG', 'OLDEST', 'REBUILDING'];

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

async function list(connection: Connection, services: readonly ServiceName[], io: CliIO): Promise<number> {
  const rows: string[][] = [];
  let code: number = EXIT.ok;
  for (const service of services) {
    try {
      const r = await connection.call(service, operations.OperationsService, (c) => c.listProjections({}));
      rows.push(...r.projections.map((p) => row(service, p)));
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      code = EXIT.failed;
      io.stderr(`cancuoc rebuild: ${error.message}\n`);
    }
  }
  io.stdout(table(HEADER, rows));
  return code;
}

/** The service holding projection `name`: asked of each in turn; unreachable ones are skipped but reported. */
async function ownerOf(
  connection: Connection,
  services: readonly ServiceName[],
  name: string,
): Promise<ServiceName> {
  const unreachable: string[] = [];
  for (const service of services) {
    try {
      const r = await connection.call(service, operations.OperationsService, (c) => c.listProjections({}));
      if (r.projections.some((p) => p.name === name)) return service;
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      unreachable.push(error.message);
    }
  }
  if (unreachable.length === 1) throw new CliError(`no projection "${name}" found; ${unreachable[0]!}`);
  if (unreachable.length > 1)
    throw new CliError(
      `no projection "${name}" found; ${unreachable.length} services could not be asked: ${unreachable[0]!}`,
    );
  throw new CliError(`no projection "${name}" (cancuoc rebuild --list shows them)`);
}

export const rebuildCommand: CliCommand = command(
  { name: 'rebuild', summary: 'list projections, or rebuild one from its event log', usage: USAGE },
  async (argv, io) => {
    const { values, positionals } = parse(argv, {
      ...CONNECTION_OPTIONS,
      service: { type: 'string' },
      list: { type: 'boolean' },
      wait: { type: 'boolean' },
    });
    const services = chosenServices(values.service, false);
    if (values.list === true) {
      if (positionals.length > 0) throw new CliError('--list takes no projection name', EXIT.usage);
      return list(new Connection(values, io.env), services, io);
    }
    if (positionals.length !== 1)
      throw new CliError(
        positionals.length === 0 ? 'name a projection, or --list' : 'one projection at a time',
        EXIT.usage,
      );
    const name = positionals[0]!;
    const connection = new Connection(values, io.env);
    const service = services.length === 1 ? services[0]! : await ownerOf(connection, services, name);
    const started = await connection.call(service, operations.OperationsService, (c) =>
      c.rebuildProjection({ name }),
    );
    const p = started.projection!;
    io.stdout(
      p.rebuilding
        ? `${service}: rebuilding ${name} from the first event; done at position ${p.rebuildTargetPosition}\n`
        : `${service}: ${name} rebuilt (the log is empty)\n`,
    );
    if (values.wait !== true || !p.rebuilding) return EXIT.ok;
    for (;;) {
      await sleep(500, io.signal);
      if (io.signal?.aborted) throw new CliError('stopped waiting; the rebuild goes on');
      const r = await connection.call(service, operations.OperationsService, (c) => c.listProjections({}));
      const now = r.projections.find((x) => x.name === name);
      if (!now) throw new CliError(`${service} no longer lists ${name}`);
      if (!now.rebuilding) {
        io.stdout(`${service}: ${name} rebuilt, at position ${now.position}, lag ${now.lag}\n`);
        return EXIT.ok;
      }
    }
  },
);
