import { Subscription, type EventStore, type RecordedEvent, type Tx } from '@cancuoc/eventstore';
import { type CalendarDate } from '@cancuoc/identity';
import { citizenDecider } from '../domain/citizen/decider.js';
import type { CitizenEvent } from '../domain/citizen/events.js';
import type { CitizenRecord, CitizenState } from '../domain/citizen/state.js';
import { duplicateKey, nameKey, qualityIssues } from '../domain/quality/rules.js';
import { placeOf, residenceToday, type ResidenceToday } from './current-unit.js';

export const CITIZEN_PROJECTION = 'registry-citizens';

interface Row {
  citizen_id: string;
  record: CitizenRecord;
  record_version: number;
  deceased: boolean;
}

const citizenIdOf = (streamId: string) => streamId.slice('citizen-'.length);

/**
 * The registry's read model for search and data quality, kept by a durable subscription whose
 * checkpoint commits with the rows: `reg_citizens` (the record as of its latest event, with the
 * current administrative units of its residence) and `reg_quality_flags` (open issues, and probable
 * duplicates flagged on both records for review). Rebuilt from events by rewinding the checkpoint
 * (`cancuoc rebuild registry-citizens`): the replay overwrites the rows in place, so they keep
 * answering searches meanwhile, and never moves a row back to an older version.
 */
export function citizenProjection(
  store: EventStore,
  today: () => CalendarDate,
  onError?: (error: unknown) => void,
): Subscription {
  return new Subscription(store, {
    name: CITIZEN_PROJECTION,
    batchSize: 1_000,
    handle: (events, tx) => project(store, events, tx, today()),
    ...(onError && { onError }),
  });
}

const evolveAll = (state: CitizenState, events: readonly RecordedEvent[]) =>
  events.reduce((s, e) => citizenDecider.evolve(s, e as unknown as CitizenEvent), state);

/**
 * The record after this batch's events. Normally the row is as of the event before the batch's
 * first, and the batch is applied to it. Otherwise the events were applied before (a replay, during
 * a rebuild) or the row is missing or damaged: the record is folded afresh from its stream, up to
 * the later of the row's version and the batch's last event, so a replay repairs the row without
 * ever moving it back.
 */
async function stateAfter(
  store: EventStore,
  tx: Tx,
  list: readonly RecordedEvent[],
  row: Row | undefined,
): Promise<{ state: CitizenState; version: number }> {
  const first = list[0]!.streamVersion;
  const last = list.at(-1)!.streamVersion;
  if (row ? row.record_version === first - 1 : first === 1) {
    const base: CitizenState = row
      ? { status: row.deceased ? 'deceased' : 'alive', record: row.record }
      : citizenDecider.initialState();
    return { state: evolveAll(base, list), version: last };
  }
  const version = Math.max(last, row?.record_version ?? 0);
  const { events } = await store.readStream(list[0]!.streamId, { tx, maxCount: version });
  return { state: evolveAll(citizenDecider.initialState(), events), version };
}

async function project(
  store: EventStore,
  events: readonly RecordedEvent[],
  tx: Tx,
  today: CalendarDate,
): Promise<void> {
  const byCitizen = new Map<string, RecordedEvent[]>();
  for (const e of events) {
    if (!e.streamId.startsWith('citizen-')) continue;
    const id = citizenIdOf(e.streamId);
    byCitizen.set(id, [...(byCitizen.get(id) ?? []), e]);
  }
  if (byCitizen.size === 0) return;
  const ids = [...byCitizen.keys()];
  const existing = await tx.query<Row>(
    'SELECT citizen_id, record, record_version, deceased FROM reg_citizens WHERE citizen_id = ANY ($1::uuid[])',
    [ids],
  );
  const byId = new Map(existing.map((r) => [r.citizen_id, r]));
  const rows: Array<{
    id: string;
    version: number;
    state: Extract<CitizenState, { record: CitizenRecord }>;
  }> = [];
  const confirmed: string[] = [];
  for (const [id, list] of byCitizen) {
    const { state, version } = await stateAfter(store, tx, list, byId.get(id));
    for (const e of list) {
      if (e.type === 'VerificationRecorded' && (e.data as { outcome: string }).outcome === 'confirmed')
        confirmed.push(id);
    }
    if (state.status !== 'unregistered') rows.push({ id, version, state });
  }
  const places = rows.map((r) => residenceToday(r.state.record));
  const communes = places.map(placeOf);
  await tx.query(
    `INSERT INTO reg_citizens (citizen_id, personal_id, record, record_version, name_key, birth_date,
                               province_code, commune_code, duplicate_key, deceased, verified_on, registered_on)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::int[], $5::text[], $6::date[], $7::text[],
                          $8::text[], $9::text[], $10::boolean[], $11::date[], $12::date[])
     ON CONFLICT (citizen_id) DO UPDATE SET
       personal_id = EXCLUDED.personal_id, registered_on = EXCLUDED.registered_on,
       record = EXCLUDED.record, record_version = EXCLUDED.record_version, name_key = EXCLUDED.name_key,
       birth_date = EXCLUDED.birth_date, province_code = EXCLUDED.province_code,
       commune_code = EXCLUDED.commune_code, duplicate_key = EXCLUDED.duplicate_key,
       deceased = EXCLUDED.deceased, verified_on = EXCLUDED.verified_on
     WHERE reg_citizens.record_version <= EXCLUDED.record_version`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.state.record.personalId),
      rows.map((r) => JSON.stringify(r.state.record)),
      rows.map((r) => r.version),
      rows.map((r) => nameKey(r.state.record)),
      rows.map((r) => r.state.record.birthDate),
      communes.map((c) => c.provinceCode),
      communes.map((c) => c.communeCode),
      rows.map((r) => duplicateKey(r.state.record)),
      rows.map((r) => r.state.status === 'deceased'),
      rows.map((r) => r.state.record.lastVerifiedOn),
      rows.map((r) => r.state.record.registeredOn),
    ],
  );
  await raiseFlags(tx, rows, communes, today);
  await queueForRecoding(tx, rows, places);
  if (confirmed.length > 0) {
    // An officer who verified the record has reviewed it: its duplicate flag is settled.
    await tx.query(
      `DELETE FROM reg_quality_flags WHERE citizen_id = ANY ($1::uuid[]) AND kind = 'PROBABLE_DUPLICATE'`,
      [confirmed],
    );
  }
}

/**
 * The recoding queue: each record of the batch whose residence needs recoding is (re)queued under
 * its recorded commune; any other leaves it (recoded, moved, or never there).
 */
async function queueForRecoding(
  tx: Tx,
  rows: ReadonlyArray<{ id: string; state: Extract<CitizenState, { record: CitizenRecord }> }>,
  places: readonly ResidenceToday[],
): Promise<void> {
  await tx.query('DELETE FROM reg_recoding_queue WHERE citizen_id = ANY ($1::uuid[])', [
    rows.map((r) => r.id),
  ]);
  const queued = rows.flatMap((r, i) => {
    const place = places[i]!;
    const residence = r.state.record.permanentResidence;
    return place.status === 'needs-recoding' && residence ? [{ id: r.id, residence, place }] : [];
  });
  if (queued.length === 0) return;
  await tx.query(
    `INSERT INTO reg_recoding_queue (citizen_id, recorded_province_code, recorded_commune_code, since, reason, candidates)
     SELECT id, p, c, s, reason, string_to_array(nullif(candidates, ''), ',')
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::text[], $6::text[])
       AS q(id, p, c, s, reason, candidates)`,
    [
      queued.map((q) => q.id),
      queued.map((q) => q.residence.provinceCode),
      queued.map((q) => q.residence.communeCode),
      queued.map((q) => q.residence.since),
      queued.map((q) => (q.place.reason === 'divided' ? 'DIVIDED' : 'SUCCESSOR_UNKNOWN')),
      queued.map((q) => q.place.candidates.map((c) => c.code).join(',')),
    ],
  );
}

async function raiseFlags(
  tx: Tx,
  rows: ReadonlyArray<{ id: string; state: Extract<CitizenState, { record: CitizenRecord }> }>,
  communes: ReadonlyArray<{ needsRecoding: boolean }>,
  today: CalendarDate,
): Promise<void> {
  const ids = rows.map((r) => r.id);
  await tx.query(
    `DELETE FROM reg_quality_flags WHERE citizen_id = ANY ($1::uuid[]) AND kind <> 'PROBABLE_DUPLICATE'`,
    [ids],
  );
  const flags: Array<[string, string, string]> = [];
  rows.forEach((r, i) => {
    const issues = qualityIssues(r.state.record, today, r.state.status === 'deceased');
    if (communes[i]!.needsRecoding) {
      issues.push({
        kind: 'ADDRESS_NEEDS_RECODING',
        detail: 'the residence commune was divided; the address must be re-coded',
      });
    }
    const seen = new Set<string>();
    for (const issue of issues) {
      if (seen.has(issue.kind)) continue;
      seen.add(issue.kind);
      flags.push([r.id, issue.kind, issue.detail]);
    }
  });
  // Probable duplicates: same key, another record. Both are flagged; neither is merged.
  const duplicates = await tx.query<{ a: string; b: string }>(
    `SELECT c.citizen_id AS a, o.citizen_id AS b FROM reg_citizens c
     JOIN reg_citizens o ON o.duplicate_key = c.duplicate_key AND o.citizen_id <> c.citizen_id
     WHERE c.citizen_id = ANY ($1::uuid[])`,
    [ids],
  );
  for (const d of duplicates) {
    flags.push([
      d.a,
      'PROBABLE_DUPLICATE',
      'a record with the same name, birth date, birthplace and parents exists',
    ]);
    flags.push([
      d.b,
      'PROBABLE_DUPLICATE',
      'a record with the same name, birth date, birthplace and parents exists',
    ]);
  }
  if (flags.length === 0) return;
  await tx.query(
    `INSERT INTO reg_quality_flags (citizen_id, kind, detail, raised_on)
     SELECT id, kind, detail, $4::date FROM unnest($1::uuid[], $2::text[], $3::text[]) AS f(id, kind, detail)
     ON CONFLICT (citizen_id, kind) DO NOTHING`,
    [flags.map((f) => f[0]), flags.map((f) => f[1]), flags.map((f) => f[2]), today.toString()],
  );
}
