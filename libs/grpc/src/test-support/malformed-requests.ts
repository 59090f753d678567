import { readErrorDetails } from '../errors.js';
import { status } from '@grpc/grpc-js';

/** One malformed request a service must refuse with a client error naming `field`. */
export interface MalformedCase<Callers> {
  readonly rpc: string;
  /** What is wrong with it, for the failure message. */
  readonly what: string;
  readonly call: (callers: Callers) => Promise<unknown>;
  readonly field: string;
  readonly reason?: string;
  /** Another client error than INVALID_ARGUMENT, where the state decides. */
  readonly code?: status;
}

/** A database a service runs on, as far as a snapshot needs it. */
interface Queryable {
  query<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

/** Every row of every table of the schema, as text: equal snapshots mean nothing was written. */
export async function tableSnapshot(db: Queryable): Promise<Map<string, string>> {
  const tables = await db.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`,
  );
  const out = new Map<string, string>();
  for (const { name } of tables) {
    const [row] = await db.query<{ rows: string; digest: string | null }>(
      `SELECT count(*)::text AS rows, md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM "${name}" t`,
    );
    out.set(name, `${row!.rows}:${row!.digest ?? ''}`);
  }
  return out;
}

/**
 * Sends each case and returns what went wrong, one line each (none when every case passed): a
 * request accepted, answered with another code (INTERNAL and UNKNOWN above all), without a field
 * violation naming its field and reason, or that changed a table. Background work (relays, the
 * audit sealer) is first left to finish with what the set-up wrote: two quiet snapshots in a row.
 */
export async function malformedRequestFailures<Callers>(
  cases: readonly MalformedCase<Callers>[],
  callers: Callers,
  snapshot: () => Promise<Map<string, string>>,
): Promise<string[]> {
  let settled = await snapshot();
  for (let quiet = 0; quiet < 2;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await snapshot();
    quiet = [...now].every(([t, s]) => settled.get(t) === s) ? quiet + 1 : 0;
    settled = now;
  }
  const failures: string[] = [];
  for (const c of cases) {
    const before = await snapshot();
    const details = await c.call(callers).then(
      () => undefined,
      (e: unknown) => readErrorDetails(e),
    );
    const label = `${c.rpc}, ${c.what}`;
    if (!details) {
      failures.push(`${label}: accepted`);
      continue;
    }
    const expected = c.code ?? status.INVALID_ARGUMENT;
    if (details.code !== expected) {
      failures.push(`${label}: ${status[details.code]} ${details.message}`);
      continue;
    }
    if (expected === status.INVALID_ARGUMENT) {
      const violations = details.badRequest?.fieldViolations ?? [];
      if (!violations.some((v) => v.field === c.field && (!c.reason || v.reason === c.reason)))
        failures.push(
          `${label}: expected ${c.field}:${c.reason ?? '*'}, got ${violations.map((v) => `${v.field}:${v.reason}`).join(', ')}`,
        );
    }
    const after = await snapshot();
    for (const [table, state] of before)
      if (after.get(table) !== state) failures.push(`${label}: wrote to ${table}`);
  }
  return failures;
}
