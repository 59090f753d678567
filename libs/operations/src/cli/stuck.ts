import type { DescEnum } from '@bufbuild/protobuf';
import { operations } from '@cancuoc/proto';
import { parse, text } from './args.js';
import { CliError, EXIT, type CliCommand } from './command.js';
import { command } from './run.js';
import { CONNECTION_OPTIONS, CONNECTION_USAGE, Connection, type ServiceName } from './services.js';
import { duration, table } from './table.js';

const USAGE = `Usage: cancuoc stuck [--older-than 10m] [connection flags]

Every application and card left in a non-final state for longer than --older-than, oldest first,
by state, with its next action and who must take it (OperationsService/ListUnfinishedWork of
enrollment and of card production):
  platform            the platform drives it on by itself, retrying (attempts and last error shown)
  enrollment-station  the operator at the station: capture, submit
  supervisor          review; adjudication: candidate duplicates
  encoding-station    a station to take the queued job, or the one holding its lease
  operator            card production's operators: quality check, shipping, manual handling
  delivery            the commune office: hand the card over, activate it
Only ids, stations, states and reasons: no personal data. A station's own stuck pipeline steps stay
with EnrollmentService/ListStuckApplications.

  --older-than D   in its state for longer than D: 90s, 10m, 2h, 1d, or 0s for everything
                   (default: each service's UNFINISHED_WORK_AFTER_SECONDS, ten minutes unless set)

Exit 0 when both services answered (unfinished work or not), 1 when one cannot be reached or
refuses, 2 for a wrong command line.

${CONNECTION_USAGE}
`;

const OPTIONS = { ...CONNECTION_OPTIONS, 'older-than': { type: 'string' } } as const;

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** `90s`, `10m`, `2h`, `1d` as seconds; a wrong one is a usage error. */
function olderThan(value: string): number {
  const match = /^(\d{1,9})([smhd])$/.exec(value);
  const seconds = match ? Number(match[1]) * UNITS[match[2]!]! : NaN;
  if (!Number.isSafeInteger(seconds) || seconds > 0xffff_ffff)
    throw new CliError('--older-than must be a duration such as 90s, 10m, 2h or 1d', EXIT.usage);
  return seconds;
}

/** An enum value's name without its prefix: ACTOR_ENROLLMENT_STATION → enrollment-station. */
function nameOf(schema: DescEnum, value: number): string {
  const v = schema.values.find((x) => x.number === value);
  if (!v) return String(value);
  return v.name
    .slice(schema.sharedPrefix?.length ?? 0)
    .toLowerCase()
    .replaceAll('_', '-');
}

/** `APPLICATION_STAGE_CAPTURING` → `CAPTURING`. */
const stateOf = (item: operations.UnfinishedWork) =>
  item.state.replace(/^(APPLICATION_STAGE|CARD_JOB_STATUS)_/, '');

function reasonOf(item: operations.UnfinishedWork): string {
  if (item.actor !== operations.Actor.PLATFORM && !item.lastError) return '-';
  if (!item.lastError && item.attempts === 0) return 'in progress';
  return `${item.lastError || 'waiting'}, ${item.attempts} attempts`;
}

function row(service: ServiceName, item: operations.UnfinishedWork): string[] {
  return [
    service,
    nameOf(operations.WorkKindSchema, item.kind),
    item.id,
    item.stationId || '-',
    stateOf(item),
    nameOf(operations.NextActionSchema, item.nextAction),
    nameOf(operations.ActorSchema, item.actor),
    reasonOf(item),
    duration(Number(item.secondsInState)),
  ];
}

/** Pages read from one service before the list is cut short (500 a page). */
const MAX_PAGES = 20;

export const stuckCommand: CliCommand = command(
  {
    name: 'stuck',
    summary: 'list applications and cards left part-way, with the next action',
    usage: USAGE,
  },
  async (argv, io) => {
    const { values, positionals } = parse(argv, OPTIONS);
    if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]!}"`, EXIT.usage);
    const threshold = text(values['older-than']);
    const seconds = threshold === undefined ? undefined : olderThan(threshold);
    const connection = new Connection(values, io.env);
    const items: { service: ServiceName; item: operations.UnfinishedWork }[] = [];
    let code: number = EXIT.ok;
    for (const service of ['enrollment', 'card-production'] as const) {
      try {
        const { found, cut } = await connection.call(service, operations.OperationsService, async (c) => {
          const found: operations.UnfinishedWork[] = [];
          let pageToken = '';
          for (let page = 0; page < MAX_PAGES; page += 1) {
            const r = await c.listUnfinishedWork({
              ...(seconds !== undefined && { olderThanSeconds: seconds }),
              pageSize: 500,
              pageToken,
            });
            found.push(...r.items);
            pageToken = r.nextPageToken;
            if (!pageToken) return { found, cut: false };
          }
          return { found, cut: true };
        });
        items.push(...found.map((item) => ({ service, item })));
        if (cut) io.stderr(`cancuoc stuck: ${service} has more than ${found.length}; the oldest are shown\n`);
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        code = EXIT.failed;
        io.stderr(`cancuoc stuck: ${error.message}\n`);
      }
    }
    // By state, in the order of the workflow (the next actions' order), oldest first within it.
    const rows = items
      .sort(
        (a, b) =>
          a.service.localeCompare(b.service) ||
          a.item.kind - b.item.kind ||
          a.item.nextAction - b.item.nextAction ||
          a.item.state.localeCompare(b.item.state) ||
          Number(b.item.secondsInState - a.item.secondsInState),
      )
      .map(({ service, item }) => row(service, item));
    io.stdout(table(['SERVICE', 'KIND', 'ID', 'STATION', 'STATE', 'NEXT', 'WHO', 'REASON', 'FOR'], rows));
    return code;
  },
);
