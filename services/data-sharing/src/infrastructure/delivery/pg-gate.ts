import type { Database } from '@cancuoc/eventstore';
import pg from 'pg';
import type { DeliveryGate } from '../../application/ports.js';
import { LocalDeliveryGate } from './local-gate.js';

const GATE_LOCKS = 0x4454;

/**
 * The delivery gate across instances, on PostgreSQL advisory locks keyed by agency: the publisher
 * holds a session lock on a connection of its own while it publishes (no transaction is open, so no
 * reader of the event log is held back and no idle-transaction timeout can cut it), and a command's
 * barrier takes and drops the same lock in a short transaction of its own. A holder in this process
 * also queues on a local gate, so the one connection serves one holder at a time.
 */
export class PgDeliveryGate implements DeliveryGate {
  private readonly local = new LocalDeliveryGate();
  private client: Promise<pg.Client> | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly db: Database,
  ) {}

  private connection(): Promise<pg.Client> {
    this.client ??= (async () => {
      const client = new pg.Client({
        connectionString: this.databaseUrl,
        application_name: 'data-sharing-gate',
      });
      // A dropped connection drops its locks; the next holder opens a new one.
      client.on('error', () => (this.client = undefined));
      await client.connect();
      return client;
    })().catch((error: unknown) => {
      this.client = undefined;
      throw error;
    });
    return this.client;
  }

  hold<T>(agency: string, work: () => Promise<T>): Promise<T> {
    return this.local.hold(agency, async () => {
      const client = await this.connection();
      await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [GATE_LOCKS, agency]);
      try {
        return await work();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [GATE_LOCKS, agency]).catch(() => {
          this.client = undefined;
          void client.end().catch(() => undefined);
        });
      }
    });
  }

  async barrier(agency: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [GATE_LOCKS, agency]);
    });
  }

  async close(): Promise<void> {
    await this.local.close();
    const client = this.client;
    this.client = undefined;
    await client?.then((c) => c.end()).catch(() => undefined);
  }
}
