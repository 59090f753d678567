import type { Database, SqlExecutor, Tx } from '@cancuoc/eventstore';
import { entryHash, GENESIS_HASH, type HashedFields } from './chain-hash.js';

/**
 * One access to personal data, as the audit log keeps it. Only names and opaque ids: the fields
 * disclosed are named, never their values, and the subject is the citizen's opaque record id.
 */
export interface AuditRecord {
  /** Who had the access: `agency:moh`, `service:card-production`, `operator:hn-07-001`. */
  readonly actor: string;
  /** What was done: `citizen.read`, `biometric.release`, `partner.delivery`. */
  readonly action: string;
  /** The stated purpose or legal basis the access was made under. */
  readonly purpose: string;
  /** The citizen's opaque record id, when the access concerns one citizen. */
  readonly subjectId?: string | null;
  /** Names of the fields disclosed (`family_name`, `face`); empty when none were. */
  readonly fields: readonly string[];
  /** Context without personal data: request ids, projection positions, outcome. */
  readonly detail?: Readonly<Record<string, unknown>> | null;
}

/** An entry read back: sealed entries have their place in the chain and their hash. */
export interface AuditEntry extends AuditRecord {
  readonly subjectId: string | null;
  readonly detail: Readonly<Record<string, unknown>> | null;
  readonly recordedAt: string;
  /** Place in the chain; null until the sealer has reached the entry. */
  readonly seq: bigint | null;
  /** Hex SHA-256; null until sealed. */
  readonly hash: string | null;
}

export type AuditVerification =
  | {
      readonly ok: true;
      readonly sealed: bigint;
      readonly unsealed: number;
      readonly head: { readonly seq: bigint; readonly hash: string };
    }
  | {
      readonly ok: false;
      /** Entries checked and found sound before the break. */
      readonly sealed: bigint;
      /** The first place where the chain does not hold. */
      readonly brokenAt: bigint;
      readonly reason: 'HASH_MISMATCH' | 'PREVIOUS_HASH_MISMATCH' | 'SEQUENCE_GAP' | 'HEAD_MISMATCH';
    };

export class AuditRecordError extends Error {
  override readonly name = 'AuditRecordError';
}

export interface AuditLogOptions {
  /** The chain's name, usually the service: `enrollment`, `data-sharing`. */
  readonly chain: string;
  /** Entries sealed per transaction. */
  readonly sealBatchSize?: number;
  /**
   * How often the sealer looks for entries when nothing woke it: every record written through this
   * instance wakes it, so this only catches what another instance left (one that died between its
   * commit and its seal). 30 s by default.
   */
  readonly sealIntervalMs?: number;
  /** Called with a sealing failure (the sealer retries after backing off). */
  readonly onError?: (error: unknown) => void;
}

/** The pause before sealing again after another sealer held the chain. */
const BUSY_RETRY_MS = 100;

const SELECT_ENTRY = `
  id::text AS id, chain,
  to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS recorded_at,
  actor, action, purpose, subject_id, to_jsonb(fields) AS fields, detail::text AS detail,
  seq::text AS seq, prev_hash, hash`;

interface EntryRow {
  id: string;
  chain: string;
  recorded_at: string;
  actor: string;
  action: string;
  purpose: string;
  subject_id: string | null;
  fields: string[];
  detail: string | null;
  seq: string | null;
  prev_hash: Uint8Array | null;
  hash: Uint8Array | null;
}

const bytes = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const hashed = (row: EntryRow, seq: bigint): HashedFields => ({
  chain: row.chain,
  seq,
  recordedAt: row.recorded_at,
  actor: row.actor,
  action: row.action,
  purpose: row.purpose,
  subjectId: row.subject_id,
  fields: row.fields,
  detailText: row.detail,
});

function checked(record: AuditRecord): AuditRecord {
  for (const key of ['actor', 'action', 'purpose'] as const) {
    if (typeof record[key] !== 'string' || record[key].trim() === '')
      throw new AuditRecordError(`an audit record needs its ${key}`);
  }
  if (!Array.isArray(record.fields) || !record.fields.every((f) => typeof f === 'string' && f !== ''))
    throw new AuditRecordError('an audit record names the disclosed fields as non-empty strings');
  return record;
}

/**
 * The append-only, hash-chained log of every access to personal data (architecture decision 9),
 * in the service's own database (`auditMigrations`).
 *
 * `record` writes the entry in the caller's transaction, so an access and its record commit or roll
 * back together, and writers never wait for each other. The sealer (`start`, or `seal` on demand)
 * then chains committed entries one batch at a time: each gets the next `seq` and
 * `hash = SHA-256(previous hash ‖ canonical entry)`, and the chain's head moves. `verify` re-derives
 * every hash; `head()` is what to anchor outside the database (publish, sign, print) so that even
 * a rewrite of the whole chain by a superuser shows.
 */
export class AuditLog {
  private readonly batchSize: number;
  private readonly intervalMs: number;
  private running: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private wakeRequested = false;

  constructor(
    private readonly db: Database,
    private readonly options: AuditLogOptions,
  ) {
    if (!/^[a-z0-9][a-z0-9._/-]*$/.test(options.chain))
      throw new AuditRecordError(`unsuitable chain name ${options.chain}`);
    this.batchSize = options.sealBatchSize ?? 5_000;
    this.intervalMs = options.sealIntervalMs ?? 30_000;
  }

  get chain(): string {
    return this.options.chain;
  }

  /** Records one access; in `tx` when given (the access's own transaction). */
  record(record: AuditRecord, tx?: Tx): Promise<void> {
    return this.recordMany([record], tx);
  }

  /** Records many accesses in one statement; in `tx` when given. */
  async recordMany(records: readonly AuditRecord[], tx?: Tx): Promise<void> {
    if (records.length === 0) return;
    const rows = records.map(checked);
    const executor: SqlExecutor = tx ?? this.db;
    await executor.query(
      `INSERT INTO audit_entries (chain, actor, action, purpose, subject_id, fields, detail)
       SELECT $1, u.actor, u.action, u.purpose, u.subject_id,
              ARRAY(SELECT jsonb_array_elements_text(u.fields)), u.detail
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[])
              WITH ORDINALITY AS u(actor, action, purpose, subject_id, fields, detail, n)
        ORDER BY u.n`,
      [
        this.chain,
        rows.map((r) => r.actor),
        rows.map((r) => r.action),
        rows.map((r) => r.purpose),
        rows.map((r) => r.subjectId ?? null),
        rows.map((r) => JSON.stringify(r.fields)),
        rows.map((r) => (r.detail ? JSON.stringify(r.detail) : null)),
      ],
    );
    if (tx) tx.afterCommit(() => this.nudge());
    else this.nudge();
  }

  /**
   * Chains the committed entries not yet sealed, a batch per transaction, and returns how many it
   * sealed. Safe to call from several processes: one seals while the others return 0.
   */
  async seal(): Promise<number> {
    return (await this.sealAll()).sealed;
  }

  /** Seals batch after batch; `busy` when another sealer held the chain (it may miss our entries). */
  private async sealAll(): Promise<{ sealed: number; busy: boolean }> {
    let total = 0;
    for (;;) {
      const sealed = await this.sealBatch();
      if (sealed === 'busy') return { sealed: total, busy: true };
      total += sealed;
      if (sealed < this.batchSize) return { sealed: total, busy: false };
    }
  }

  private sealBatch(): Promise<number | 'busy'> {
    return this.db.transaction(async (tx) => {
      const [lock] = await tx.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked',
        [`cancuoc:audit:${this.chain}`],
      );
      if (!lock?.locked) return 'busy' as const;
      const rows = await tx.query<EntryRow>(
        `SELECT ${SELECT_ENTRY} FROM audit_entries WHERE chain = $1 AND seq IS NULL ORDER BY audit_entries.id LIMIT $2`,
        [this.chain, this.batchSize],
      );
      if (rows.length === 0) return 0;
      const [head] = await tx.query<{ seq: string; hash: Uint8Array }>(
        'SELECT seq::text AS seq, hash FROM audit_heads WHERE chain = $1',
        [this.chain],
      );
      let seq = head ? BigInt(head.seq) : 0n;
      let prev: Buffer = head ? bytes(head.hash) : GENESIS_HASH;
      const ids: string[] = [];
      const seqs: string[] = [];
      const prevs: Buffer[] = [];
      const hashes: Buffer[] = [];
      for (const row of rows) {
        seq += 1n;
        const hash = entryHash(prev, hashed(row, seq));
        ids.push(row.id);
        seqs.push(seq.toString());
        prevs.push(prev);
        hashes.push(hash);
        prev = hash;
      }
      await tx.query(
        `UPDATE audit_entries e SET seq = u.seq, prev_hash = u.prev_hash, hash = u.hash
           FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[]) AS u(id, seq, prev_hash, hash)
          WHERE e.id = u.id`,
        [ids, seqs, prevs, hashes],
      );
      await tx.query(
        `INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, $2, $3)
         ON CONFLICT (chain) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash`,
        [this.chain, seq.toString(), prev],
      );
      return rows.length;
    });
  }

  /** Seals in the background until `stop`: woken by every commit that recorded, else every interval. */
  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = this.loop();
  }

  /** Stops the sealer after the batch in flight, then seals what is left once. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.nudge();
    await this.running;
    this.running = undefined;
  }

  private nudge(): void {
    this.wakeRequested = true;
    this.wake?.();
  }

  private async loop(): Promise<void> {
    let backoff = 0;
    for (;;) {
      const last = this.stopping;
      this.wakeRequested = false;
      let busy = false;
      try {
        busy = (await this.sealAll()).busy;
        backoff = 0;
      } catch (error) {
        this.options.onError?.(error);
        backoff = Math.min(backoff ? backoff * 2 : 100, 10_000);
      }
      if (last) return;
      // A commit or a stop that came while sealing is not lost: look again before sleeping.
      if ((this.wakeRequested || this.stopping) && backoff === 0) continue;
      // Another sealer held the chain and may have read before our entries committed: look again
      // once it is done rather than at the next interval.
      const wait = backoff || (busy ? Math.min(BUSY_RETRY_MS, this.intervalMs) : this.intervalMs);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** The chain's newest sealed entry: what to anchor outside the database. */
  head(): Promise<{ seq: bigint; hash: string }> {
    return this.headIn(this.db);
  }

  private async headIn(executor: SqlExecutor): Promise<{ seq: bigint; hash: string }> {
    const [head] = await executor.query<{ seq: string; hash: Uint8Array }>(
      'SELECT seq::text AS seq, hash FROM audit_heads WHERE chain = $1',
      [this.chain],
    );
    return head
      ? { seq: BigInt(head.seq), hash: bytes(head.hash).toString('hex') }
      : { seq: 0n, hash: GENESIS_HASH.toString('hex') };
  }

  /**
   * Re-derives the chain from its first entry and reports the first place it does not hold: an
   * entry changed (its hash), removed or inserted (the sequence, the links), or cut off at the end
   * (the head). Reads in pages, so a long chain is checked in constant memory.
   */
  async verify(pageSize = 10_000): Promise<AuditVerification> {
    // One snapshot for the pages and the head: entries the sealer chains meanwhile are simply not
    // seen, instead of moving the head past what was checked (a false HEAD_MISMATCH).
    return this.db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      return this.verifyIn(tx, pageSize);
    });
  }

  private async verifyIn(tx: SqlExecutor, pageSize: number): Promise<AuditVerification> {
    let expectedSeq = 1n;
    let prev: Buffer = GENESIS_HASH;
    for (;;) {
      const rows = await tx.query<EntryRow>(
        `SELECT ${SELECT_ENTRY} FROM audit_entries
          WHERE chain = $1 AND audit_entries.seq >= $2 ORDER BY audit_entries.seq LIMIT $3`,
        [this.chain, expectedSeq.toString(), pageSize],
      );
      for (const row of rows) {
        const seq = BigInt(row.seq!);
        const sealed = expectedSeq - 1n;
        if (seq !== expectedSeq) return { ok: false, sealed, brokenAt: expectedSeq, reason: 'SEQUENCE_GAP' };
        if (!bytes(row.prev_hash!).equals(prev))
          return { ok: false, sealed, brokenAt: seq, reason: 'PREVIOUS_HASH_MISMATCH' };
        const hash = entryHash(prev, hashed(row, seq));
        if (!bytes(row.hash!).equals(hash))
          return { ok: false, sealed, brokenAt: seq, reason: 'HASH_MISMATCH' };
        prev = hash;
        expectedSeq += 1n;
      }
      if (rows.length < pageSize) break;
    }
    const sealed = expectedSeq - 1n;
    const head = await this.headIn(tx);
    if (head.seq !== sealed || head.hash !== prev.toString('hex'))
      return { ok: false, sealed, brokenAt: sealed + 1n, reason: 'HEAD_MISMATCH' };
    const [pending] = await tx.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM audit_entries WHERE chain = $1 AND seq IS NULL',
      [this.chain],
    );
    return { ok: true, sealed, unsealed: Number(pending?.n ?? 0), head };
  }

  /**
   * Every recorded access concerning one citizen, oldest first, sealed or not: the data subject's
   * right to know who received their data (Law 91/2025/QH15).
   */
  async forSubject(
    subjectId: string,
    range: { readonly from?: Date; readonly to?: Date } = {},
  ): Promise<readonly AuditEntry[]> {
    const rows = await this.db.query<EntryRow>(
      `SELECT ${SELECT_ENTRY} FROM audit_entries
        WHERE subject_id = $1 AND chain = $2
          AND recorded_at >= coalesce($3::timestamptz, '-infinity') AND recorded_at < coalesce($4::timestamptz, 'infinity')
        ORDER BY audit_entries.recorded_at, audit_entries.id`,
      [subjectId, this.chain, range.from?.toISOString() ?? null, range.to?.toISOString() ?? null],
    );
    return rows.map((row) => ({
      actor: row.actor,
      action: row.action,
      purpose: row.purpose,
      subjectId: row.subject_id,
      fields: row.fields,
      detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
      recordedAt: row.recorded_at,
      seq: row.seq === null ? null : BigInt(row.seq),
      hash: row.hash ? bytes(row.hash).toString('hex') : null,
    }));
  }
}
