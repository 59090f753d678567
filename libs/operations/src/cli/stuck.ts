import type { DescEnum } from '@bufbuild/protobuf';
import {
  ApplicationStageSchema,
  CardJobStatus,
  CardJobStatusSchema,
  CardProductionService,
  EnrollmentService,
  PipelineStepSchema,
  type ApplicationSummary,
  type CardJob,
} from '@cancuoc/proto';
import { parse } from './args.js';
import { CliError, EXIT, type CliCommand } from './command.js';
import { command } from './run.js';
import { CONNECTION_OPTIONS, CONNECTION_USAGE, Connection } from './services.js';
import { duration, table } from './table.js';

const USAGE = `Usage: cancuoc stuck [connection flags]

Work that does not move on by itself, oldest first, as a table:
  - enrollment's applications whose pipeline step (register lookup, duplicate check) failed or has
    waited too long (EnrollmentService/ListStuckApplications);
  - card production's jobs in manual handling (CardProductionService/ListCards).
Only ids, stations, states and reasons: no personal data.

Exit 0 when both services answered (stuck work or not), 1 when one cannot be reached or refuses,
2 for a wrong command line.

${CONNECTION_USAGE}
`;

/** An enum value's name without its prefix: APPLICATION_STAGE_DUPLICATE_CHECK → DUPLICATE_CHECK. */
function nameOf(schema: DescEnum, value: number): string {
  const v = schema.values.find((x) => x.number === value);
  if (!v) return String(value);
  return v.name.slice(schema.sharedPrefix ? schema.sharedPrefix.length : 0) || v.name;
}

const sinceSeconds = (iso: string, now: number) => (iso ? (now - Date.parse(iso)) / 1000 : 0);

function applicationRow(a: ApplicationSummary): string[] {
  const step = a.pendingStep;
  return [
    'enrollment',
    'application',
    a.applicationId,
    a.stationId || '-',
    nameOf(ApplicationStageSchema, a.stage),
    step
      ? `${nameOf(PipelineStepSchema, step.step)}: ${step.lastError || 'waiting'}, ${step.attempts} attempts`
      : '-',
    duration(Number(a.secondsInStage)),
  ];
}

function cardRow(c: CardJob, now: number): string[] {
  return [
    'card-production',
    'card',
    c.cardId,
    c.stationId || '-',
    nameOf(CardJobStatusSchema, c.status),
    `${c.waitingReason || '-'}, ${c.attempts}/${c.maxAttempts} attempts`,
    duration(sinceSeconds(c.changedAt, now)),
  ];
}

const MAX_CARD_PAGES = 20;

export const stuckCommand: CliCommand = command(
  { name: 'stuck', summary: 'list stuck applications and card jobs in manual handling', usage: USAGE },
  async (argv, io) => {
    const { values, positionals } = parse(argv, CONNECTION_OPTIONS);
    if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]!}"`, EXIT.usage);
    const connection = new Connection(values, io.env);
    const rows: string[][] = [];
    let code: number = EXIT.ok;
    try {
      const r = await connection.call('enrollment', EnrollmentService, (c) =>
        c.listStuckApplications({ pageSize: 500 }),
      );
      rows.push(...r.applications.map(applicationRow));
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      code = EXIT.failed;
      io.stderr(`cancuoc stuck: ${error.message}\n`);
    }
    try {
      const now = Date.now();
      const cards = await connection.call('card-production', CardProductionService, async (c) => {
        const all: CardJob[] = [];
        let pageToken = '';
        for (let page = 0; page < MAX_CARD_PAGES; page += 1) {
          const r = await c.listCards({ status: CardJobStatus.MANUAL_HANDLING, pageSize: 500, pageToken });
          all.push(...r.cards);
          pageToken = r.nextPageToken;
          if (!pageToken) break;
        }
        return all;
      });
      rows.push(...cards.map((c) => cardRow(c, now)));
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      code = EXIT.failed;
      io.stderr(`cancuoc stuck: ${error.message}\n`);
    }
    io.stdout(table(['SERVICE', 'KIND', 'ID', 'STATION', 'STATE', 'REASON', 'FOR'], rows));
    return code;
  },
);
