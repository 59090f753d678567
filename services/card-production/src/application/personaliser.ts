import { createHash } from 'node:crypto';
import { APPENDED_CHANNEL, Follower, type Database } from '@cancuoc/eventstore';
import { LdsError } from '@cancuoc/icao9303';
import { errorTypeOf, failSpan } from '@cancuoc/observability';
import { SpanKind } from '@opentelemetry/api';
import { CalendarDate } from '@cancuoc/identity';
import {
  cardContents,
  UnusableRegisterDataError,
  type RegisterData,
} from '../domain/personalisation/card-contents.js';
import type { CardJob } from '../domain/card/state.js';
import type { AuditLog } from '@cancuoc/audit';
import { SERVICE_ACTOR as ACTOR } from './actor.js';
import { auditRecords } from './audit-records.js';
import type { CardJobs } from './card-jobs.js';
import { buildChip, encodeChipFiles } from './chip-builder.js';
import { cardTraceparents, startCardSpan, within } from './telemetry.js';
import {
  PortraitRefusedError,
  PortraitUnavailableError,
  SignerUnavailableError,
  type CardVault,
  type Clock,
  type DocumentSigners,
  type PortraitSource,
} from './ports.js';

export interface PersonaliserOptions {
  readonly db: Database;
  readonly jobs: CardJobs;
  readonly vault: CardVault;
  readonly portraits: PortraitSource;
  readonly signers: DocumentSigners;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** Jobs personalised at once by this instance. */
  readonly concurrency: number;
  /** First wait after enrollment could not be reached; doubles up to `maxRetryMs`. */
  readonly retryMs: number;
  readonly maxRetryMs: number;
  /** How long a claimed job is left to this instance before another may take it. */
  readonly claimMs: number;
  readonly pollMs: number;
  /** Told once a job is queued, so the dispatcher looks at once. */
  readonly onQueued: () => void;
  readonly onError?: (error: unknown) => void;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Why personalisation could not be done this time; the job waits and is tried again. */
class Deferred extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Why personalisation cannot succeed without an operator. */
class Refused extends Error {
  constructor(
    readonly reason: string,
    readonly detail: string,
  ) {
    super(reason);
  }
}

/**
 * Personalises requested cards: fetches the portrait from enrollment (checking it against the
 * SHA-256 the application announced), derives the card's contents from the pinned register data,
 * builds and signs the chip's files, keeps them encrypted and queues the job. Jobs are claimed for
 * a while in `cp_jobs` rather than held in a transaction, so no transaction stays open across the
 * call to enrollment. Enrollment unreachable: the job waits with `waiting_reason` and is tried again
 * with backoff. Wrong portrait or unusable data: manual handling.
 */
export class Personaliser {
  private readonly loop: Follower;

  constructor(private readonly options: PersonaliserOptions) {
    // Any append may be a new request (on this instance or another): the log's NOTIFY wakes the
    // loop, the poll catches jobs whose wait is over.
    this.loop = new Follower({
      db: options.db,
      channel: APPENDED_CHANNEL,
      pollIntervalMs: options.pollMs,
      initialBackoffMs: 100,
      maxBackoffMs: 10_000,
      onError: options.onError,
      step: async () => {
        const claimed = await this.step();
        if (claimed === options.concurrency) return { read: claimed, full: true };
        // A job that waits (a retry's backoff, a claim left by a crash) is due at a time: the loop
        // sleeps until then, not on a short poll.
        const dueInMs = await this.untilNextDue();
        return dueInMs === undefined ? 'idle' : { dueInMs };
      },
    });
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  wake(): void {
    this.loop.notify();
  }

  /** Milliseconds until the earliest job waiting to be personalised is due; undefined when none waits. */
  private async untilNextDue(): Promise<number | undefined> {
    const [row] = await this.options.db.query<{ next: Date | string | null }>(
      `SELECT min(personalise_after) AS next FROM cp_jobs WHERE status = 'personalising'`,
    );
    if (!row?.next) return undefined;
    return Math.max(0, new Date(row.next).getTime() - this.options.clock().getTime());
  }

  /** One round: claims the due jobs it has room for and personalises them; how many it claimed. */
  private async step(): Promise<number> {
    const now = this.options.clock();
    const claimed = await this.options.db.query<{ card_id: string; personalise_attempts: number }>(
      `UPDATE cp_jobs SET personalise_after = $2::timestamptz + make_interval(secs => $3::double precision / 1000)
       WHERE card_id IN (
         SELECT card_id FROM cp_jobs
         WHERE status = 'personalising' AND personalise_after <= $2::timestamptz
         ORDER BY priority DESC, requested_at, card_id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING card_id, personalise_attempts`,
      [this.options.concurrency, now.toISOString(), this.options.claimMs],
    );
    const traces = await cardTraceparents(
      this.options.db,
      claimed.map((c) => c.card_id),
    );
    await Promise.all(
      claimed.map((c) => this.personalise(c.card_id, c.personalise_attempts, traces.get(c.card_id))),
    );
    return claimed.length;
  }

  /**
   * One card, in a span `CardProduction.personalise` of the card's trace: the portrait's fetch from
   * enrollment and the append that queues the card are its children. Its outcome is an attribute.
   */
  private async personalise(cardId: string, attempts: number, traceparent?: string): Promise<void> {
    const { span, context } = startCardSpan('CardProduction.personalise', SpanKind.INTERNAL, traceparent);
    const outcome = (value: 'queued' | 'deferred' | 'refused' | 'skipped') =>
      span.setAttribute('cancuoc.personalisation.outcome', value);
    try {
      await within(context, async () => {
        try {
          const { job } = await this.options.jobs.load(cardId);
          if (job.status !== 'personalising') return outcome('skipped');
          await this.build(cardId, job);
          outcome('queued');
        } catch (error) {
          if (error instanceof Deferred) {
            outcome('deferred');
            span.setAttribute('cancuoc.personalisation.reason', error.reason);
            return this.defer(cardId, attempts, error.reason);
          }
          if (error instanceof Refused) {
            outcome('refused');
            span.setAttribute('cancuoc.personalisation.reason', error.reason);
            return this.refuse(cardId, error);
          }
          // Anything else is a fault here, not the data's: report it and try again later.
          failSpan(span, errorTypeOf(error));
          this.options.onError?.(error);
          return this.defer(cardId, attempts, 'INTERNAL_ERROR');
        }
      });
    } finally {
      span.end();
    }
  }

  private async build(cardId: string, job: CardJob): Promise<void> {
    const { db, vault, portraits, signers, audit, clock } = this.options;
    const stored = await vault.get(db, cardId, 'register-data');
    if (!stored)
      throw new Refused('REGISTER_DATA_MISSING', 'the register data of this card is not in the vault');
    const data = JSON.parse(Buffer.from(stored).toString()) as RegisterData;
    const { applicationId, portrait: wanted } = job.request;
    let portrait;
    try {
      portrait = await portraits.getPortrait(applicationId, wanted.reference);
    } catch (error) {
      if (error instanceof PortraitUnavailableError) throw new Deferred(error.reason);
      if (error instanceof PortraitRefusedError) throw new Refused(error.reason, error.message);
      throw error;
    }
    await audit.record(auditRecords.portraitFetched(job));
    const actual = sha256(portrait.image);
    if (actual !== wanted.sha256.toLowerCase() || actual !== portrait.sha256.toLowerCase()) {
      throw new Refused(
        'PORTRAIT_HASH_MISMATCH',
        'the portrait received is not the one the application announced',
      );
    }
    const now = clock();
    let contents;
    try {
      contents = cardContents(data, CalendarDate.fromInstant(now));
    } catch (error) {
      if (!(error instanceof UnusableRegisterDataError)) throw error;
      const fields = [...new Set(error.violations.map((v) => `${v.field}:${v.reason}`))].join(', ');
      throw new Refused('REGISTER_DATA_UNUSABLE', fields);
    }
    let signer;
    try {
      signer = await signers.current(now);
    } catch (error) {
      if (error instanceof SignerUnavailableError) throw new Deferred('SIGNER_UNAVAILABLE');
      throw error;
    }
    let chip;
    try {
      chip = await buildChip(contents, portrait.image, signer, data.sex ?? 'female', now);
    } catch (error) {
      if (error instanceof LdsError)
        throw new Refused('PORTRAIT_UNSUPPORTED', 'the portrait is not a JPEG or JPEG 2000 image');
      throw error;
    }
    await db.transaction(async (tx) => {
      const { events } = await this.options.jobs.execute(
        cardId,
        { type: 'RecordPersonalisation', now: now.toISOString(), personalisation: chip.personalisation },
        { actor: ACTOR },
        tx,
      );
      // Another instance got there first (its claim ran out): its files stand.
      if (events.length === 0) return;
      await vault.put(tx, cardId, 'chip-files', encodeChipFiles(chip.files));
      await audit.record(auditRecords.registerDataRead(job), tx);
      tx.afterCommit(this.options.onQueued);
    });
  }

  private async defer(cardId: string, attempts: number, reason: string): Promise<void> {
    const wait = Math.min(this.options.retryMs * 2 ** attempts, this.options.maxRetryMs);
    await this.options.db.query(
      `UPDATE cp_jobs SET personalise_after = $2::timestamptz, personalise_attempts = personalise_attempts + 1,
              waiting_reason = $3
       WHERE card_id = $1 AND status = 'personalising'`,
      [cardId, new Date(this.options.clock().getTime() + wait).toISOString(), reason],
    );
  }

  private async refuse(cardId: string, refusal: Refused): Promise<void> {
    await this.options.jobs.execute(
      cardId,
      {
        type: 'FailPersonalisation',
        now: this.options.clock().toISOString(),
        reason: refusal.reason,
        detail: refusal.detail,
      },
      { actor: ACTOR },
    );
  }
}
