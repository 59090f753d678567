import { createHash } from 'node:crypto';
import type { Tx } from '@cancuoc/eventstore';
import type { AuditEntry, AuditLog } from '../application/ports.js';

/** Key of the transaction advisory lock that keeps the chain in one order. */
const CHAIN_LOCK = 0x43504155;
const GENESIS = '0'.repeat(64);

export function entryHash(previousHash: string, at: string, entry: AuditEntry): string {
  return (
    createHash('sha256')
      // Keys sorted: jsonb does not keep the order they were written in.
      .update(
        JSON.stringify([
          previousHash,
          at,
          entry.actor,
          entry.action,
          entry.cardId,
          Object.entries(entry.detail).sort(),
        ]),
      )
      .digest('hex')
  );
}

/**
 * The audit log of personal-data access (architecture decision 9), in the database it describes:
 * each row carries the hash of the one before, so a removed or altered row breaks the chain
 * (`verifyAuditChain`), and a trigger refuses updates and deletes. Rows are written in the
 * transaction of the access they record; the chain's order is kept by a transaction lock.
 */
export class PostgresAuditLog implements AuditLog {
  async record(tx: Tx, entry: AuditEntry, at: Date): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
    const [last] = await tx.query<{ hash: string }>(
      'SELECT hash FROM cp_audit_log ORDER BY seq DESC LIMIT 1',
    );
    const previous = last?.hash ?? GENESIS;
    const when = at.toISOString();
    await tx.query(
      `INSERT INTO cp_audit_log (at, actor, action, card_id, detail, previous_hash, hash)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)`,
      [
        when,
        entry.actor,
        entry.action,
        entry.cardId,
        JSON.stringify(entry.detail),
        previous,
        entryHash(previous, when, entry),
      ],
    );
  }
}

/** Walks the chain; the first row whose hashes do not follow, or undefined when it is whole. */
export async function verifyAuditChain(db: Pick<Tx, 'query'>): Promise<number | undefined> {
  const rows = await db.query<{
    seq: string;
    at: Date;
    actor: string;
    action: string;
    card_id: string;
    detail: Record<string, string>;
    previous_hash: string;
    hash: string;
  }>(
    'SELECT seq::text AS seq, at, actor, action, card_id, detail, previous_hash, hash FROM cp_audit_log ORDER BY seq',
  );
  let previous = GENESIS;
  for (const row of rows) {
    const entry = { actor: row.actor, action: row.action, cardId: row.card_id, detail: row.detail };
    if (
      row.previous_hash !== previous ||
      row.hash !== entryHash(previous, new Date(row.at).toISOString(), entry)
    ) {
      return Number(row.seq);
    }
    previous = row.hash;
  }
  return undefined;
}
