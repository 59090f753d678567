import type { Tx } from '@cancuoc/eventstore';

const DATA_SHARING_LOCKS = 0x4453;
const VIEWS = 1;

/**
 * Serialises every writer of agency views — projection batches, back-fill batches, a rebuild's
 * reset — across instances. Each holds it for one short transaction; without it a back-fill could
 * write a view from a citizen's state just replaced by a projection batch.
 */
export async function lockViews(tx: Tx): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [DATA_SHARING_LOCKS, VIEWS]);
}
