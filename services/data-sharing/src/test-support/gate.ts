import pg from 'pg';

/**
 * Takes an agency's delivery gate from outside the service (the same advisory lock the publisher
 * holds while it publishes), to stop delivery at a chosen moment.
 */
export async function holdGate(databaseUrl: string, agency: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [0x4454, agency]);
  return {
    async release() {
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [0x4454, agency]);
      await client.end();
    },
  };
}

/** Whether the service's publisher holds the agency's gate now. */
export async function publisherHoldsGate(databaseUrl: string, agency: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = hashtext($2)::oid
         AND a.application_name = 'data-sharing-gate'`,
      [0x4454, agency],
    );
    return rows.length > 0;
  } finally {
    await client.end();
  }
}
