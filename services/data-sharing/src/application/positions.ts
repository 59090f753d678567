import type { Database } from '@cancuoc/eventstore';
import { CITIZEN_PROJECTION, PROJECTED_CHANNEL } from './citizen-projection.js';
import { PositionAheadOfLogError, PositionNotReachedError } from './errors.js';

/** Longest a read waits for the projection, whatever deadline the caller set. */
export const MAX_POSITION_WAIT_MS = 10_000;
const POLL_MS = 100;
/** Given up this long before the caller's deadline, so the caller gets the reason, not DEADLINE_EXCEEDED. */
const DEADLINE_MARGIN_MS = 150;

/**
 * The citizen projection's position (events applied), and waiting for it. Waiters wake on the
 * projection's NOTIFY after each batch, and poll in case one is lost.
 */
export class ProjectionPositions {
  private readonly waiters = new Set<() => void>();
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly db: Database) {}

  async start(): Promise<void> {
    this.unlisten = await this.db.listen(PROJECTED_CHANNEL, () => {
      for (const wake of this.waiters) wake();
    });
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    for (const wake of this.waiters) wake();
  }

  async current(): Promise<bigint> {
    const [row] = await this.db.query<{ position: string }>(
      `SELECT position::text AS position FROM ds_projection WHERE projection = 'citizens'`,
    );
    return BigInt(row!.position);
  }

  /**
   * Whether `position` events exist in the log (applied or not). Positions are numbered from 1 and
   * never reused, so the log holds at most max(global_position) events: a position beyond it is
   * refused without counting, and the count is bounded by the projection's lag.
   */
  private async inLog(position: bigint, applied: bigint): Promise<boolean> {
    const [top] = await this.db.query<{ max: string | null }>(
      'SELECT max(global_position)::text AS max FROM es_events',
    );
    if (position > BigInt(top?.max ?? '0')) return false;
    const [checkpoint] = await this.db.query<{ tx: string; pos: string }>(
      'SELECT transaction_id::text AS tx, global_position::text AS pos FROM es_subscriptions WHERE subscription_id = $1',
      [CITIZEN_PROJECTION],
    );
    const missing = position - applied;
    const [row] = await this.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM (
         SELECT 1 FROM es_events WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint) LIMIT $3
       ) pending`,
      [checkpoint?.tx ?? '0', checkpoint?.pos ?? '0', missing.toString()],
    );
    return BigInt(row!.n) >= missing;
  }

  /**
   * Resolves once the projection has applied at least `position` events. Refuses a position the log
   * has not reached (`PositionAheadOfLogError`), and gives up at the deadline (at most
   * MAX_POSITION_WAIT_MS away) with `PositionNotReachedError`.
   */
  async waitFor(position: bigint, deadline: Date | undefined): Promise<void> {
    let applied = await this.current();
    if (applied >= position) return;
    if (!(await this.inLog(position, applied))) throw new PositionAheadOfLogError();
    const until = Math.min(
      (deadline?.getTime() ?? Infinity) - DEADLINE_MARGIN_MS,
      Date.now() + MAX_POSITION_WAIT_MS,
    );
    while (applied < position) {
      const left = until - Date.now();
      if (left <= 0) throw new PositionNotReachedError(applied);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(POLL_MS, left));
        this.waiters.add(wake);
      });
      applied = await this.current();
    }
  }
}
