/**
 * Time in each stage of a citizen's path, from the times the services' event stores recorded
 * (`es_events.recorded_at`, the database's clock: one server in server mode, one machine embedded),
 * read from the four databases after the run. Only ids and times are read: no personal data.
 */
import { Database } from '@cancuoc/eventstore';
import type { DemoResult, ServiceName } from '@cancuoc/platform';

/** Where one service's event store is: a PostgreSQL URL, or an embedded PGlite folder. */
export type StoreLocation = { readonly databaseUrl: string } | { readonly dataDir: string };

/** A milestone: the first event of `type` in `service`'s store for the citizen. */
interface Milestone {
  readonly service: ServiceName;
  readonly type: string;
}

/** The path, milestone to milestone; a stage is the time between one milestone and the next. */
const MILESTONES = [
  { service: 'registry', type: 'CitizenRegistered' },
  { service: 'enrollment', type: 'RegisterDataPinned' },
  { service: 'enrollment', type: 'SubmittedForReview' },
  { service: 'enrollment', type: 'DuplicateCheckCleared' },
  { service: 'enrollment', type: 'ApplicationApproved' },
  { service: 'card-production', type: 'CardRequested' },
  { service: 'card-production', type: 'CardPersonalised' },
  { service: 'card-production', type: 'CardEncoded' },
  { service: 'card-production', type: 'CardActivated' },
  { service: 'data-sharing', type: 'CardActivated' },
] as const satisfies readonly Milestone[];

/** What each stage covers, ending at the milestone of the same index + 1. */
export const STAGES = [
  'registered → application started (register lookup)',
  'capture: face, ten prints, submission',
  'duplicate check',
  'review: supervisor approval',
  'card requested (enrollment → Kafka → card production)',
  'personalised',
  'encoded (queue, station lease, chip written)',
  'quality check, shipped, delivered, activated',
  'agency view holds the issued card (data sharing)',
] as const;

export interface StageLatencies {
  /** Milliseconds per citizen in each stage, ascending, in the order of {@link STAGES}. */
  readonly stages: ReadonlyMap<(typeof STAGES)[number], readonly number[]>;
  /** Registered → the agency's view holds the issued card, per citizen, ascending. */
  readonly total: readonly number[];
  /** Citizens taken through whose every milestone was found. */
  readonly citizens: number;
}

interface Row {
  readonly stream_id: string;
  readonly event_type: string;
  readonly at: string;
  readonly citizen_id: string | null;
  readonly status: string | null;
}

/** The milestone events of one store: stream, type, time, and the citizen or card status they carry. */
async function milestoneEvents(location: StoreLocation, types: readonly string[]): Promise<Row[]> {
  const db = await Database.connect(location);
  try {
    return await db.query<Row>(
      `SELECT stream_id, event_type, (extract(epoch FROM recorded_at) * 1000)::text AS at,
              data->>'citizenId' AS citizen_id, data->'card'->>'status' AS status
         FROM es_events WHERE event_type = ANY($1) ORDER BY global_position`,
      [[...types, 'CardReceived']],
    );
  } finally {
    await db.close();
  }
}

const streamId = (stream: string) => stream.slice(stream.indexOf('-') + 1);

export async function stageLatencies(
  stores: ReadonlyMap<ServiceName, StoreLocation>,
  result: Pick<DemoResult, 'applications'>,
): Promise<StageLatencies> {
  const citizenOfApplication = new Map(result.applications.map((a) => [a.applicationId, a.citizenId]));
  const citizenOfCard = new Map<string, string>();
  /** Per citizen, per milestone index: the first time it was recorded. */
  const times = new Map<string, number[]>();
  const record = (citizenId: string | undefined, index: number, at: number) => {
    if (!citizenId) return;
    let row = times.get(citizenId);
    if (!row) times.set(citizenId, (row = []));
    row[index] ??= at;
  };
  for (const [service, location] of stores) {
    const wanted = MILESTONES.filter((m) => m.service === service).map((m) => m.type);
    for (const row of await milestoneEvents(location, wanted)) {
      const at = Number(row.at);
      // Data sharing records each change of the citizen's card: the milestone is the issued card.
      const type =
        row.event_type === 'CardReceived' && row.status === 'activated' ? 'CardActivated' : row.event_type;
      const index = MILESTONES.findIndex((m) => m.service === service && m.type === type);
      if (index < 0) continue;
      const id = streamId(row.stream_id);
      if (service === 'enrollment') record(citizenOfApplication.get(id), index, at);
      else if (service === 'card-production') {
        if (row.citizen_id) citizenOfCard.set(id, row.citizen_id);
        record(citizenOfCard.get(id), index, at);
      } else record(id, index, at);
    }
  }
  const stages = new Map(STAGES.map((s) => [s, [] as number[]]));
  const total: number[] = [];
  for (const { citizenId } of result.applications) {
    const row = times.get(citizenId);
    if (!row || MILESTONES.some((_, i) => row[i] === undefined)) continue;
    STAGES.forEach((stage, i) => stages.get(stage)!.push(row[i + 1]! - row[i]!));
    total.push(row[MILESTONES.length - 1]! - row[0]!);
  }
  for (const samples of stages.values()) samples.sort((a, b) => a - b);
  total.sort((a, b) => a - b);
  return { stages, total, citizens: total.length };
}

/** The `p` quantile (0..1) of ascending `samples`, nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  return samples[Math.min(samples.length - 1, Math.ceil(p * samples.length) - 1)]!;
}
