import { createHash } from 'node:crypto';

/** The 32 zero bytes the first entry of every chain links to. */
export const GENESIS_HASH = Buffer.alloc(32);

/** What an entry's hash covers: everything recorded about the access, its place and its predecessor. */
export interface HashedFields {
  readonly chain: string;
  readonly seq: bigint;
  /** As PostgreSQL holds it, to the microsecond, in UTC: `2026-12-01T10:00:00.123456Z`. */
  readonly recordedAt: string;
  readonly actor: string;
  readonly action: string;
  readonly purpose: string;
  readonly subjectId: string | null;
  readonly fields: readonly string[];
  /** jsonb's own text form, which is canonical (sorted keys, no insignificant space), or null. */
  readonly detailText: string | null;
}

/**
 * SHA-256 over the previous hash and a canonical encoding of the entry. JSON of a fixed-order array
 * is unambiguous (strings are escaped, so no field can run into the next) and stable across
 * implementations, so an auditor can re-derive the chain with any SHA-256 and JSON library.
 */
export function entryHash(prev: Uint8Array, entry: HashedFields): Buffer {
  const canonical = JSON.stringify([
    entry.chain,
    entry.seq.toString(),
    entry.recordedAt,
    entry.actor,
    entry.action,
    entry.purpose,
    entry.subjectId,
    entry.fields,
    entry.detailText,
  ]);
  return createHash('sha256').update(prev).update(canonical, 'utf8').digest();
}
