import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MikroORM, type MigrationObject, type Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import type { AbstractSqlConnection, EntityManager } from '@mikro-orm/sql';
import { CompiledQuery, type Kysely, type Transaction as KyselyTransaction } from 'kysely';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';

const BYTEA_OID = 17;

/**
 * PGlite's own bytea codecs turn each byte into a string and back in JavaScript: a 30 kB portrait
 * took milliseconds on the event loop every service shares in the embedded mode. Node's hex codec
 * does the same in native code.
 */
function serializeBytea(value: unknown): string {
  if (!(value instanceof Uint8Array)) throw new Error('Invalid input for bytea type');
  return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
}

/** The text form `\x…` back to bytes, in a Uint8Array of its own (not a view of Node's buffer pool). */
function parseBytea(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.slice(2), 'hex'));
}

/**
 * PGlite copies its instance's type parsers into a new object for every query it answers (about
 * 320 of them once MikroORM has added its own: 0.17 ms a query, a third of a small query's cost),
 * and falls back to its module-wide defaults for a type missing there. Moving the instance's
 * parsers into those defaults and leaving the instance none gives every query the same parsers
 * for nothing. Every PGlite in a Cancuoc process is opened here with the same parsers, so sharing
 * them is safe.
 */
async function hoistParsers(pglite: PGlite): Promise<void> {
  const { types } = await import('@electric-sql/pglite');
  Object.assign(types.parsers, pglite.parsers);
  pglite.parsers = {};
}

/**
 * Postgres settings every PGlite instance starts with, over PGlite's own. PGlite's shared memory
 * is zeroed WASM heap, resident from the start: 145 MB of it at PGlite's 128 MB of shared buffers,
 * 24 MB at 16 MB, which cut each instance from ~160 MB resident to ~40 MB (docs/benchmarks.md,
 * embedded memory). Pages beyond the buffers stay in the operating system's file cache.
 */
export const PGLITE_SETTINGS: Readonly<Record<string, string>> = { shared_buffers: '16MB' };

/**
 * Makes the PGlite cluster in `dataDir` if there is none yet, in a child process: see
 * pglite-initdb.ts for why not in this one. The child runs PGlite's WASM on V8's baseline compiler
 * only: for one initdb, optimising it costs more than it saves (measured: 3.6 s and 0.57 GB peak
 * instead of 6.4 s and 1.1 GB).
 */
async function createPgliteCluster(dataDir: string, startParams: readonly string[]): Promise<void> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  const script = fileURLToPath(new URL('./pglite-initdb.js', import.meta.url));
  try {
    await promisify(execFile)(
      process.execPath,
      ['--liftoff-only', script, dataDir, JSON.stringify(startParams)],
      {
        maxBuffer: 1 << 20,
      },
    );
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(
      `PGlite could not create its database in ${dataDir}: ${stderr || (error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** Runs parameterised SQL (`$1`, `$2`, …) and returns the rows. */
export interface SqlExecutor {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

/**
 * One open database transaction. Projections write through it so that their effects commit, or
 * roll back, together with the subscription checkpoint.
 */
export interface Tx extends SqlExecutor {
  /** MikroORM entity manager bound to this transaction, for code that prefers entities. */
  readonly em: EntityManager;
  /** Runs `callback` once the transaction has committed; never when it rolls back. */
  afterCommit(callback: () => void): void;
}

export interface DatabaseOptions {
  /**
   * `postgres://…` to use a PostgreSQL server. Without it the database is PGlite, in `dataDir`
   * (a folder) or in memory.
   */
  readonly databaseUrl?: string | undefined;
  readonly dataDir?: string | undefined;
  /** Largest number of pooled server connections. */
  readonly poolSize?: number;
  /** Shown in `pg_stat_activity`, so an operator can tell which service holds a connection. */
  readonly applicationName?: string;
  /**
   * A transaction left idle longer than this is ended by the server. Long-open transactions hold
   * back every reader of the global order (decision 2), so they must not live forever.
   */
  readonly idleInTransactionTimeoutMs?: number;
  readonly migrations?: readonly MigrationObject[];
  readonly entities?: Options['entities'];
}

type KyselyExecutor = Kysely<unknown> | KyselyTransaction<unknown>;

async function run<Row>(executor: KyselyExecutor, sql: string, params: readonly unknown[]): Promise<Row[]> {
  const result = await executor.executeQuery<Row>(CompiledQuery.raw(sql, [...params]));
  return result.rows as Row[];
}

/** Held while a process is the one instance doing some work (a relay, say); see `tryLead`. */
export interface Leadership {
  /** Settles if the lock is lost without `release()`: its connection dropped. Stop the work then. */
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

/** Key space of the session advisory locks taken by `tryLead`. */
const LEADERSHIP_LOCK_SPACE = 0x4c44;

/** PostgreSQL (a server, or PGlite in process) reached through MikroORM 7. */
export class Database implements SqlExecutor {
  private readonly localListeners = new EventEmitter();
  private readonly notifyState = new Map<string, { inFlight: boolean; again: boolean }>();
  private notifier: Promise<pg.Client> | undefined;
  private closed = false;
  private readonly localLeaders = new Set<string>();

  private constructor(
    readonly orm: MikroORM,
    readonly kind: 'postgresql' | 'pglite',
    private readonly serverConfig: pg.ClientConfig | undefined,
  ) {}

  static async connect(options: DatabaseOptions): Promise<Database> {
    const common = {
      entities: options.entities ?? [],
      discovery: { warnWhenNoEntities: false },
      extensions: [Migrator],
      migrations: {
        tableName: 'schema_migrations',
        migrationsList: [...(options.migrations ?? [])],
        snapshot: false,
        snapshotOnMigrate: false,
        silent: true,
        allOrNothing: true,
      },
      debug: false,
      allowGlobalContext: true,
    } satisfies Partial<Options>;

    if (options.databaseUrl) {
      const { PostgreSqlDriver } = await import('@mikro-orm/postgresql');
      const driverOptions: pg.PoolConfig = {
        application_name: options.applicationName ?? 'cancuoc',
        idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 60_000,
      };
      const orm = await MikroORM.init({
        ...common,
        driver: PostgreSqlDriver,
        clientUrl: options.databaseUrl,
        pool: { min: 0, max: options.poolSize ?? 10 },
        driverOptions,
      });
      const serverConfig: pg.ClientConfig = {
        connectionString: options.databaseUrl,
        application_name: `${driverOptions.application_name}-listen`,
      };
      return new Database(orm, 'postgresql', serverConfig);
    }

    const [{ PgliteDriver }, { PGlite }] = await Promise.all([
      import('@mikro-orm/pglite'),
      import('@electric-sql/pglite'),
    ]);
    const startParams = [
      ...PGlite.defaultStartParams,
      ...Object.entries(PGLITE_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ];
    const dataDir =
      options.dataDir && !options.dataDir.includes('://') ? resolve(options.dataDir) : undefined;
    if (dataDir) await createPgliteCluster(dataDir, startParams);
    const orm = await MikroORM.init({
      ...common,
      driver: PgliteDriver,
      dbName: dataDir ?? options.dataDir ?? 'memory://',
      driverOptions: {
        parsers: { [BYTEA_OID]: parseBytea },
        serializers: { [BYTEA_OID]: serializeBytea },
        startParams,
      },
    });
    const connection = orm.em.getConnection() as unknown as { getNativeClient(): Promise<PGlite> };
    await hoistParsers(await connection.getNativeClient());
    return new Database(orm, 'pglite', undefined);
  }

  private get connection(): AbstractSqlConnection {
    return this.orm.em.getConnection() as unknown as AbstractSqlConnection;
  }

  query<Row = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return run<Row>(this.connection.getClient(), sql, params);
  }

  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const em = this.orm.em.fork() as unknown as EntityManager;
    const committed: Array<() => void> = [];
    const result = await em.transactional(async (txEm) => {
      const ctx = txEm.getTransactionContext<KyselyTransaction<unknown>>();
      if (!ctx) throw new Error('MikroORM opened no transaction context');
      const tx: Tx = {
        em: txEm,
        query: (sql, params = []) => run(ctx, sql, params),
        afterCommit: (callback) => committed.push(callback),
      };
      return work(tx);
    });
    for (const callback of committed) callback();
    return result;
  }

  /**
   * Wakes the listeners of `channel`, in this process and others. Called after a commit, never inside
   * one: a NOTIFY inside a writing transaction takes a server-wide lock held through that commit's
   * flush to disk, which serialises every writer on the server (measured: 16 concurrent appenders
   * fell to a third of their throughput). Notifications are coalesced: while one is on its way, any
   * number of further calls add a single follow-up. A lost one costs only latency; listeners poll.
   */
  notify(channel: string): void {
    if (this.kind === 'pglite') {
      // PGlite belongs to this process alone: its listeners are all here.
      queueMicrotask(() => this.localListeners.emit(channel));
      return;
    }
    const state = this.notifyState.get(channel) ?? { inFlight: false, again: false };
    this.notifyState.set(channel, state);
    if (state.inFlight) {
      state.again = true;
      return;
    }
    state.inFlight = true;
    void (async () => {
      do {
        state.again = false;
        await this.sendNotify(channel);
      } while (state.again && !this.closed);
      state.inFlight = false;
    })();
  }

  private async sendNotify(channel: string): Promise<void> {
    try {
      this.notifier ??= (async () => {
        const client = new pg.Client({ ...this.serverConfig, options: '-c synchronous_commit=off' });
        client.on('error', () => (this.notifier = undefined));
        await client.connect();
        return client;
      })();
      const client = await this.notifier;
      await client.query('SELECT pg_notify($1, NULL)', [channel]);
    } catch {
      this.notifier = undefined;
    }
  }

  /**
   * Calls `onNotify` for every NOTIFY on `channel` until the returned function is called. On a
   * server this holds one dedicated connection; a pooled one would be handed to other work.
   */
  async listen(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`unsafe channel name ${channel}`);
    if (this.kind === 'pglite') {
      this.localListeners.on(channel, onNotify);
      return async () => void this.localListeners.off(channel, onNotify);
    }
    const client = new pg.Client(this.serverConfig);
    client.on('notification', onNotify);
    // A dropped listen connection only costs latency: subscribers poll as a fallback.
    client.on('error', () => undefined);
    await client.connect();
    await client.query(`LISTEN ${channel}`);
    return async () => {
      client.removeListener('notification', onNotify);
      await client.end().catch(() => undefined);
    };
  }

  /**
   * Makes this process the single leader for `name` until `release()` or until it dies: a session
   * advisory lock on a dedicated connection, so a crashed leader's lock goes with its connection and
   * another instance takes over. Resolves `undefined` when another instance leads.
   */
  async tryLead(name: string): Promise<Leadership | undefined> {
    if (this.kind === 'pglite') {
      if (this.localLeaders.has(name)) return undefined;
      this.localLeaders.add(name);
      return {
        lost: new Promise<void>(() => undefined),
        release: async () => void this.localLeaders.delete(name),
      };
    }
    const client = new pg.Client({ ...this.serverConfig, application_name: `${name}-leader` });
    let signalLost: () => void = () => undefined;
    const lost = new Promise<void>((resolve) => (signalLost = resolve));
    client.on('error', () => signalLost());
    client.on('end', () => signalLost());
    await client.connect();
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
      [LEADERSHIP_LOCK_SPACE, name],
    );
    if (!rows[0]?.locked) {
      await client.end().catch(() => undefined);
      return undefined;
    }
    let released = false;
    return {
      lost: lost.then(() => (released ? new Promise<void>(() => undefined) : undefined)),
      release: async () => {
        released = true;
        await client.end().catch(() => undefined);
      },
    };
  }

  /**
   * Applies pending migrations and returns the names of those it applied. On a server an advisory
   * lock keeps two starting instances from migrating at once.
   */
  async migrate(): Promise<readonly string[]> {
    if (this.kind === 'pglite') return (await this.orm.migrator.up()).map((m) => m.name);
    const lock = new pg.Client(this.serverConfig);
    await lock.connect();
    try {
      await lock.query('SELECT pg_advisory_lock(hashtext($1))', ['cancuoc:migrations']);
      return (await this.orm.migrator.up()).map((m) => m.name);
    } finally {
      await lock.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const notifier = this.notifier;
    this.notifier = undefined;
    await notifier?.then((c) => c.end()).catch(() => undefined);
    await this.orm.close(true);
  }
}
