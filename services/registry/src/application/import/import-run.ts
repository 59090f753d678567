import type { EventStore, Tx } from '@cancuoc/eventstore';
import type { CalendarDate, FieldViolation } from '@cancuoc/identity';
import type { FamilyRules } from '../../domain/citizen/family-rules.js';
import { loadRelatives } from '../relatives.js';
import { citizenStream } from '../registry.js';
import { progressOf, summaryOf, type ImportProgress, type ImportSummary } from './progress.js';
import { ImportRefusedError } from './errors.js';
import type { ImportLog, ImportRecord } from './import-log.js';
import {
  decideRegistration,
  prepareBatch,
  unknownParent,
  withParents,
  type Candidate,
  type PendingRow,
  type PreparedBatch,
} from './prepare.js';
import type { Rejection, RejectionReport } from './rejection-report.js';
import type { ImportSource, SourcePosition, SourceRow } from './source.js';

export interface RunOptions {
  readonly store: EventStore;
  readonly log: ImportLog;
  readonly record: ImportRecord;
  readonly source: ImportSource;
  readonly report: RejectionReport | undefined;
  readonly fileSize: number;
  readonly today: () => CalendarDate;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly actor: string;
  readonly familyRules: FamilyRules | undefined;
  readonly onProgress: ((progress: ImportProgress) => void) | undefined;
  readonly signal: AbortSignal | undefined;
  /** Settles if the import's lock is lost (its connection dropped): another process may take over. */
  readonly lost: Promise<void>;
}

/** A promise settled from outside; its rejection is observed by whoever waits on it, if anyone. */
class Signal {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;
  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.promise.catch(() => undefined);
  }
}

/** A batch's place in the order: when its numbers are claimed, and when it has committed. */
interface Turn {
  readonly claimed: Signal;
  readonly committed: Signal;
}

function settledTurn(): Turn {
  const turn = { claimed: new Signal(), committed: new Signal() };
  turn.claimed.resolve();
  turn.committed.resolve();
  return turn;
}

const ALREADY_REGISTERED = {
  field: 'personalId',
  reason: 'ALREADY_REGISTERED',
  description: 'this personal id number is already registered, by an existing record or an earlier row',
} as const;

/**
 * One run of an import, from where it last committed to the end of the file (or a stop). Batches are
 * judged one after another and written by up to `concurrency` transactions at once, in an order
 * enforced at two points: a batch claims its numbers only after the previous batch's claim (so of
 * two rows with one number the earlier always wins, and no two batches wait on each other), and
 * commits only after the previous batch committed (so the committed rows are always a prefix of the
 * file, which is what makes resuming exact).
 */
export class ImportRun {
  /** Accepted rows of batches not committed yet, by personal id. */
  private readonly pending = new Map<string, PendingRow>();
  /** Citizen ids of accepted rows whose number turned out to be taken, by batch. */
  private readonly losers = new Map<number, Set<string>>();
  private position: SourcePosition;
  private accepted: number;
  private rejected: number;
  private batches: number;
  private readonly startedAt = performance.now();
  private lockLost = false;

  constructor(private readonly options: RunOptions) {
    this.position = options.record.position;
    this.accepted = options.record.accepted;
    this.rejected = options.record.rejected;
    this.batches = options.record.batches;
    void options.lost.then(() => (this.lockLost = true));
  }

  private get record(): ImportRecord {
    return this.options.record;
  }

  async execute(): Promise<ImportSummary> {
    const { concurrency, signal } = this.options;
    const rows = this.options.source.rows(this.position);
    const inFlight: Promise<void>[] = [];
    let previous = settledTurn();
    let failure: unknown;
    let reachedEnd = false;
    try {
      for (let index = 0; !signal?.aborted && !this.lockLost; index++) {
        const batch = await this.nextBatch(rows);
        if (batch.length === 0) {
          reachedEnd = true;
          break;
        }
        const prepared = await prepareBatch(
          index,
          batch,
          this.options.today().toString(),
          this.pending,
          this.options.store,
          this.options.familyRules,
        );
        const turn = { claimed: new Signal(), committed: new Signal() };
        const writing = this.write(prepared, previous, turn);
        writing.catch(() => undefined);
        inFlight.push(writing);
        previous = turn;
        if (inFlight.length >= concurrency) await inFlight.shift();
      }
    } catch (error) {
      failure = error;
    } finally {
      await rows.return(undefined);
    }
    // Batches already under way may still commit: what they hold came before any failure.
    const settled = await Promise.allSettled(inFlight);
    const error = failure ?? settled.find((s) => s.status === 'rejected')?.reason;
    if (error !== undefined) throw error;
    if (this.lockLost) {
      throw new ImportRefusedError(
        `import ${this.record.importId} lost its lock (the database connection dropped); run it again to resume`,
      );
    }
    const elapsed = performance.now() - this.startedAt;
    if (!reachedEnd) {
      return summaryOf(this.snapshot(), 'interrupted', elapsed, this.record.position.row, this.rate(elapsed));
    }
    const done = await this.options.log.complete(this.record.importId, this.options.fileSize);
    return summaryOf(done, 'completed', elapsed, this.record.position.row, this.rate(elapsed));
  }

  private async nextBatch(rows: AsyncGenerator<SourceRow>): Promise<SourceRow[]> {
    const batch: SourceRow[] = [];
    while (batch.length < this.options.batchSize) {
      const next = await rows.next();
      if (next.done) break;
      batch.push(next.value);
    }
    return batch;
  }

  private async write(batch: PreparedBatch, previous: Turn, own: Turn): Promise<void> {
    const { store, log, report } = this.options;
    try {
      await previous.claimed.promise;
      const outcome = await store.transaction(async (tx) => {
        const lost = await this.claim(tx, batch);
        const claimed = batch.candidates.filter((c) => !lost.has(c.citizenId));
        // Before the next batch claims: it must know which of this batch's rows hold no number.
        const refused = await this.reresolveParents(tx, batch.index, claimed);
        own.claimed.resolve();
        const accepted = claimed.filter((c) => !refused.has(c.citizenId));
        if (accepted.length > 0) {
          await store.appendToStreams(
            accepted.map((c) => ({
              streamId: citizenStream(c.citizenId),
              events: c.events,
              expectedVersion: 'no_stream' as const,
            })),
            { metadata: { actor: this.options.actor, correlationId: this.record.correlationId }, tx },
          );
        }
        await previous.committed.promise;
        const rejections: Rejection[] = [
          ...batch.rejections,
          ...batch.candidates
            .filter((c) => lost.has(c.citizenId))
            .map((c) => ({ row: c.row.row, line: c.row.line, violations: [ALREADY_REGISTERED] })),
          ...claimed
            .filter((c) => refused.has(c.citizenId))
            .map((c) => ({ row: c.row.row, line: c.row.line, violations: refused.get(c.citizenId)! })),
        ].sort((a, b) => a.row - b.row);
        const reportBytes = report ? await report.append(rejections) : this.record.reportBytes;
        const last = batch.rows.at(-1)!;
        const to = { offset: last.end, row: last.row, line: last.nextLine };
        await log.advance(tx, this.record.importId, {
          from: this.position,
          to,
          accepted: accepted.length,
          rejected: rejections.length,
          reportBytes,
        });
        return { to, accepted: accepted.length, rejected: rejections.length };
      });
      this.position = outcome.to;
      this.accepted += outcome.accepted;
      this.rejected += outcome.rejected;
      this.batches += 1;
      for (const c of batch.candidates) {
        if (this.pending.get(c.personalId)?.citizenId === c.citizenId) this.pending.delete(c.personalId);
      }
      // Rows judged while that batch was pending are all in batches committed by now.
      this.losers.delete(batch.index - this.options.concurrency);
      own.committed.resolve();
      this.report();
    } catch (error) {
      own.claimed.reject(error);
      own.committed.reject(error);
      throw error;
    }
  }

  /**
   * Claims the batch's numbers in one statement; returns the candidates whose number another record
   * (or an earlier row) holds. A number claimed by a batch in flight is waited for, not skipped.
   */
  private async claim(tx: Tx, batch: PreparedBatch): Promise<Set<string>> {
    const claimed = await tx.query<{ citizen_id: string }>(
      `INSERT INTO reg_personal_ids (personal_id, citizen_id)
       SELECT * FROM unnest($1::text[], $2::uuid[])
       ON CONFLICT (personal_id) DO NOTHING RETURNING citizen_id`,
      [batch.candidates.map((c) => c.personalId), batch.candidates.map((c) => c.citizenId)],
    );
    const won = new Set(claimed.map((r) => r.citizen_id));
    const lost = new Set(batch.candidates.filter((c) => !won.has(c.citizenId)).map((c) => c.citizenId));
    if (lost.size > 0) this.losers.set(batch.index, lost);
    return lost;
  }

  /**
   * A parent resolved to a row of this file that then lost its number is the record that holds the
   * number instead: the row is judged again with it, by the same decider. A row the family rules
   * then refuse (the holder is too young to be the parent, or of the other sex) is refused with
   * them, and the number it claimed in this transaction given back: the rows refused, by citizen id.
   */
  private async reresolveParents(
    tx: Tx,
    batchIndex: number,
    claimed: readonly Candidate[],
  ): Promise<Map<string, readonly FieldViolation[]>> {
    const refused = new Map<string, readonly FieldViolation[]>();
    const isLost = (batch: number | undefined, citizenId: string) =>
      refused.has(citizenId) || (batch !== undefined && this.losers.get(batch)?.has(citizenId) === true);
    // Until no more rows are refused: a row refused here may be the parent of another row of it.
    for (let before = -1; refused.size > before;) {
      before = refused.size;
      const stale = claimed.filter(
        (c) => !refused.has(c.citizenId) && c.parents.some((p) => isLost(p.pendingBatch, p.citizenId)),
      );
      if (stale.length === 0) break;
      const ids = [...new Set(stale.flatMap((c) => c.parents.map((p) => p.personalId)))];
      const holders = new Map(
        (
          await tx.query<{ personal_id: string; citizen_id: string }>(
            'SELECT personal_id, citizen_id FROM reg_personal_ids WHERE personal_id = ANY ($1::text[])',
            [ids],
          )
        ).map((r) => [r.personal_id, r.citizen_id]),
      );
      const facts = await loadRelatives(this.options.store, holders.values(), tx);
      for (const c of stale) {
        // A parent row refused after it was judged holds no number: the row names no one registered.
        const missing = c.parents.filter((p) => {
          const holder = holders.get(p.personalId);
          return isLost(p.pendingBatch, p.citizenId) && !(holder && facts.has(holder));
        });
        if (missing.length > 0) {
          refused.set(
            c.citizenId,
            missing.map((p) => unknownParent(p.role)),
          );
          continue;
        }
        const parents = c.parents.map((p) => {
          if (!isLost(p.pendingBatch, p.citizenId)) return p;
          const citizenId = holders.get(p.personalId)!;
          return { ...p, citizenId, pendingBatch: undefined, facts: facts.get(citizenId)! };
        });
        const judged = decideRegistration(withParents(c.command, parents, c.citizenId));
        if ('events' in judged) c.events = judged.events;
        else refused.set(c.citizenId, judged.violations);
      }
    }
    if (refused.size > 0) {
      await tx.query('DELETE FROM reg_personal_ids WHERE citizen_id = ANY ($1::uuid[])', [
        [...refused.keys()],
      ]);
      // Rows of later batches that named one of these as parent are judged again, as for a lost number.
      // (A new set: the batch's own `lost` is still read for its report.)
      this.losers.set(batchIndex, new Set([...(this.losers.get(batchIndex) ?? []), ...refused.keys()]));
    }
    return refused;
  }

  private rate(elapsedMs: number): number {
    return elapsedMs > 0 ? ((this.position.row - this.record.position.row) * 1000) / elapsedMs : 0;
  }

  private snapshot(): ImportRecord {
    return {
      ...this.record,
      position: this.position,
      accepted: this.accepted,
      rejected: this.rejected,
      batches: this.batches,
    };
  }

  private report(): void {
    const onProgress = this.options.onProgress;
    if (!onProgress) return;
    const elapsedMs = performance.now() - this.startedAt;
    const doneThisRun = this.position.offset - this.record.position.offset;
    const left = Math.max(this.options.fileSize - this.position.offset, 0);
    const eta = doneThisRun > 0 ? (left / doneThisRun) * (elapsedMs / 1000) : undefined;
    onProgress(progressOf(this.snapshot(), elapsedMs, this.rate(elapsedMs), eta));
  }
}
