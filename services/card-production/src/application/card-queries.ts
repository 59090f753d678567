import type { EventStore } from '@cancuoc/eventstore';
import { CardNotFoundError } from '../domain/card/errors.js';
import type { RevocationReason } from '../domain/card/events.js';
import type { CardJob, JobStatus } from '../domain/card/state.js';
import { cardOfApplication } from './application-intake.js';
import { cardStream } from './card-jobs.js';
import { decodePageToken, encodePageToken, isRecordId } from '@cancuoc/identity';
import type { Clock, LeaseBoard } from './ports.js';

export interface CardView {
  readonly cardId: string;
  readonly job: CardJob;
  readonly version: number;
  /** Why the job waits, when it does: enrollment unreachable, a backoff, an operator. */
  readonly waitingReason: string | null;
  readonly nextAttemptAt: Date | null;
}

export interface HistoryEntry {
  readonly version: number;
  readonly change: string;
  readonly recordedAt: Date;
  readonly actor: string;
}

export interface QueueDepth {
  readonly personalising: number;
  readonly waitingForEnrollment: number;
  readonly queued: number;
  readonly encoding: number;
  readonly manualHandling: number;
  readonly queuedByPriority: readonly { priority: number; queued: number }[];
  readonly oldestQueuedSeconds: number;
  readonly stationsConnected: number;
}

export interface RevokedCard {
  readonly cardId: string;
  readonly sodSha256: string;
  readonly reason: RevocationReason;
  readonly revokedAt: Date;
}

interface JobRow {
  card_id: string;
  state: CardJob;
  version: number;
  waiting_reason: string | null;
  personalise_after: Date | null;
  not_before: Date | null;
}

const MAX_PAGE = 500;
const COLUMNS = 'card_id, state, version, waiting_reason, personalise_after, not_before';

function view(row: JobRow, now: Date): CardView {
  const job = row.state;
  const waiting =
    job.status === 'manual-handling'
      ? (job.manualHandling?.reason ?? null)
      : job.status === 'queued' && row.not_before && new Date(row.not_before) > now
        ? 'RETRY_BACKOFF'
        : row.waiting_reason;
  const next =
    job.status === 'personalising' ? row.personalise_after : job.status === 'queued' ? row.not_before : null;
  return {
    cardId: row.card_id,
    job,
    version: row.version,
    waitingReason: waiting,
    nextAttemptAt: next ? new Date(next) : null,
  };
}

/** What operators read: one card, cards by state, the queue, the revocation list's rows. */
export class CardQueries {
  constructor(
    private readonly store: EventStore,
    private readonly board: LeaseBoard,
    private readonly localStations: () => number,
    private readonly clock: Clock,
  ) {}

  async get(cardId: string): Promise<CardView> {
    const [row] = await this.store.db.query<JobRow>(`SELECT ${COLUMNS} FROM cp_jobs WHERE card_id = $1`, [
      cardId,
    ]);
    if (!row) throw new CardNotFoundError();
    return view(row, this.clock());
  }

  async byApplication(applicationId: string): Promise<CardView> {
    const cardId = await cardOfApplication(this.store.db, applicationId);
    if (!cardId) throw new CardNotFoundError();
    return this.get(cardId);
  }

  async history(cardId: string): Promise<HistoryEntry[]> {
    const { events } = await this.store.readStream(cardStream(cardId));
    return events.map((e) => ({
      version: e.streamVersion,
      change: e.type,
      recordedAt: e.recordedAt,
      actor: e.metadata.actor,
    }));
  }

  /**
   * Cards in one state by id, a page at a time. The page token is checked before the query: one
   * issued for another state's list, or not issued at all, is `InvalidPageTokenError`.
   */
  async list(
    status: JobStatus,
    pageSize: number,
    pageToken: string,
  ): Promise<{ cards: CardView[]; nextPageToken: string }> {
    const limit = Math.min(Math.max(pageSize || 50, 1), MAX_PAGE);
    const [after] = pageToken
      ? decodePageToken(pageToken, 'cards', [status], [isRecordId])
      : ['00000000-0000-0000-0000-000000000000'];
    const rows = await this.store.db.query<JobRow>(
      `SELECT ${COLUMNS} FROM cp_jobs WHERE status = $1 AND card_id > $2::uuid ORDER BY card_id LIMIT $3`,
      [status, after, limit + 1],
    );
    const page = rows.slice(0, limit);
    return {
      cards: page.map((r) => view(r, this.clock())),
      nextPageToken: rows.length > limit ? encodePageToken('cards', [status], [page.at(-1)!.card_id]) : '',
    };
  }

  async queueDepth(now: Date): Promise<QueueDepth> {
    const [counts] = await this.store.db.query<Record<string, string | null>>(
      `SELECT count(*) FILTER (WHERE status = 'personalising')::text AS personalising,
              count(*) FILTER (WHERE status = 'personalising' AND waiting_reason = 'ENROLLMENT_UNAVAILABLE')::text AS waiting,
              count(*) FILTER (WHERE status = 'queued')::text AS queued,
              count(*) FILTER (WHERE status = 'encoding')::text AS encoding,
              count(*) FILTER (WHERE status = 'manual-handling')::text AS manual,
              min(queued_at) FILTER (WHERE status = 'queued') AS oldest
       FROM cp_jobs WHERE status IN ('personalising', 'queued', 'encoding', 'manual-handling')`,
    );
    const priorities = await this.store.db.query<{ priority: number; n: string }>(
      `SELECT priority, count(*)::text AS n FROM cp_jobs WHERE status = 'queued' GROUP BY priority ORDER BY priority DESC`,
    );
    const oldest = counts?.oldest ? new Date(counts.oldest) : undefined;
    // The board sees every instance's stations; when it cannot be read, this instance's own count stands.
    const stations = Math.max(await this.board.connectedStations(), this.localStations());
    return {
      personalising: Number(counts?.personalising ?? 0),
      waitingForEnrollment: Number(counts?.waiting ?? 0),
      queued: Number(counts?.queued ?? 0),
      encoding: Number(counts?.encoding ?? 0),
      manualHandling: Number(counts?.manual ?? 0),
      queuedByPriority: priorities.map((p) => ({ priority: p.priority, queued: Number(p.n) })),
      oldestQueuedSeconds: oldest ? Math.max(0, Math.floor((now.getTime() - oldest.getTime()) / 1000)) : 0,
      stationsConnected: stations,
    };
  }

  /**
   * Every revoked card, and the list's number: how many there are. Rows are never deleted, so the
   * number only grows; a sequence value would not do, since revocations commit out of order.
   */
  async revoked(): Promise<{ number: number; cards: RevokedCard[] }> {
    const rows = await this.store.db.query<{
      card_id: string;
      sod_sha256: string;
      reason: RevocationReason;
      revoked_at: Date;
    }>('SELECT card_id, sod_sha256, reason, revoked_at FROM cp_revocations ORDER BY seq');
    return {
      number: rows.length,
      cards: rows.map((r) => ({
        cardId: r.card_id,
        sodSha256: r.sod_sha256,
        reason: r.reason,
        revokedAt: new Date(r.revoked_at),
      })),
    };
  }
}
