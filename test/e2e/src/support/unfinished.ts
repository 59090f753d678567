import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GrpcClient } from '@cancuoc/grpc';
import {
  ApplicationStage,
  CardJobStatus,
  type CardProductionService,
  type EnrollmentService,
  operations,
  type ApplicationSummary,
  type CardJob,
} from '@cancuoc/proto';

/** What the checks below read, as an administrator (and a supervisor for enrollment's lists). */
export interface PlatformReaders {
  readonly enrollmentOps: GrpcClient<typeof operations.OperationsService>;
  readonly cardProductionOps: GrpcClient<typeof operations.OperationsService>;
  readonly enrollment: GrpcClient<typeof EnrollmentService>;
  readonly cardProduction: GrpcClient<typeof CardProductionService>;
}

const FINAL_STAGES = new Set([
  ApplicationStage.COMPLETED,
  ApplicationStage.REJECTED,
  ApplicationStage.CANCELLED,
  ApplicationStage.BLOCKED,
]);
const FINAL_CARDS = new Set([CardJobStatus.ACTIVATED, CardJobStatus.CANCELLED, CardJobStatus.REVOKED]);

async function everyPage<T>(page: (token: string) => Promise<{ items: T[]; next: string }>): Promise<T[]> {
  const all: T[] = [];
  let token = '';
  do {
    const r = await page(token);
    all.push(...r.items);
    token = r.next;
  } while (token);
  return all;
}

/** Every unfinished application and card, whatever its age. */
export async function unfinishedWork(readers: PlatformReaders): Promise<operations.UnfinishedWork[]> {
  const of = (client: GrpcClient<typeof operations.OperationsService>) =>
    everyPage(async (pageToken) => {
      const r = await client.listUnfinishedWork({ olderThanSeconds: 0, pageSize: 500, pageToken });
      return { items: r.items, next: r.nextPageToken };
    });
  return [...(await of(readers.enrollmentOps)), ...(await of(readers.cardProductionOps))];
}

/**
 * Waits until the platform has finished by itself what it can: no unfinished item is the
 * platform's to move on, and no card is still leased to a station that is gone (its lease expires
 * and the job goes back to the queue). Returns what is left: the humans' and stations' moves.
 */
export async function settled(
  readers: PlatformReaders,
  timeoutMs: number,
): Promise<operations.UnfinishedWork[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const items = await unfinishedWork(readers);
    const moving = items.filter(
      (i) => i.actor === operations.Actor.PLATFORM || i.state === 'CARD_JOB_STATUS_ENCODING',
    );
    if (moving.length === 0) return items;
    if (Date.now() > deadline)
      assert.fail(`the platform did not finish by itself:\n${await explain(readers, moving)}`);
    await sleep(500);
  }
}

/** What card production holds of each item left to the platform, for the failure's message. */
async function explain(
  readers: PlatformReaders,
  items: readonly operations.UnfinishedWork[],
): Promise<string> {
  const lines = await Promise.all(
    items.map(async (i) => {
      const card =
        i.kind === operations.WorkKind.APPLICATION
          ? await readers.cardProduction.getCard({ card: { case: 'applicationId', value: i.id } }).then(
              (r) =>
                `card ${r.card!.cardId} ${CardJobStatus[r.card!.status]} (${r.history.map((h) => h.change).join(', ')})`,
              (e: unknown) => `no card: ${e instanceof Error ? e.message : String(e)}`,
            )
          : '';
      return `${i.id} ${i.state} since ${i.since} ${i.lastError} related ${i.relatedId || '-'} ${card}`;
    }),
  );
  return lines.join('\n');
}

export interface Accounting {
  readonly applications: number;
  readonly complete: number;
  readonly listed: number;
  readonly cards: number;
}

/**
 * Every application of `stations` and every card is either finished or listed as unfinished,
 * exactly once; no card was encoded twice; nothing personal in the list. `items` is a listing taken
 * before this call. Reading the applications and cards takes a while, during which a station or a
 * late event may still finish something: states only move forward and finished is final, so what is
 * unfinished now was unfinished then (it must be in `items`), and what is finished now must be
 * missing from a listing taken after.
 */
export async function assertCompleteOrListed(
  readers: PlatformReaders,
  stations: readonly string[],
  items: readonly operations.UnfinishedWork[],
): Promise<Accounting> {
  const ids = items.map((i) => i.id);
  assert.equal(new Set(ids).size, ids.length, 'nothing is listed twice');
  const listed = new Set(ids);

  const applications: ApplicationSummary[] = [];
  for (const stationId of stations)
    applications.push(
      ...(await everyPage(async (pageToken) => {
        const r = await readers.enrollment.listApplications({ stationId, pageSize: 500, pageToken });
        return { items: r.applications, next: r.nextPageToken };
      })),
    );
  let complete = 0;
  const finished: string[] = [];
  for (const a of applications) {
    if (FINAL_STAGES.has(a.stage)) {
      complete += 1;
      finished.push(a.applicationId);
    } else
      assert.ok(
        listed.has(a.applicationId),
        `application ${a.applicationId} in ${ApplicationStage[a.stage]} is listed`,
      );
  }

  const cards: CardJob[] = [];
  for (const status of Object.values(CardJobStatus))
    if (typeof status === 'number' && status !== CardJobStatus.UNSPECIFIED)
      cards.push(
        ...(await everyPage(async (pageToken) => {
          const r = await readers.cardProduction.listCards({ status, pageSize: 500, pageToken });
          return { items: r.cards, next: r.nextPageToken };
        })),
      );
  const byApplication = new Map<string, number>();
  for (const c of cards) {
    byApplication.set(c.applicationId, (byApplication.get(c.applicationId) ?? 0) + 1);
    if (FINAL_CARDS.has(c.status)) finished.push(c.cardId);
    else assert.ok(listed.has(c.cardId), `card ${c.cardId} in ${CardJobStatus[c.status]} is listed`);
    const { history } = await readers.cardProduction.getCard({ card: { case: 'cardId', value: c.cardId } });
    assert.ok(
      history.filter((h) => h.change === 'CardEncoded').length <= 1,
      `card ${c.cardId} was encoded at most once`,
    );
  }
  const listedAfter = new Set((await unfinishedWork(readers)).map((i) => i.id));
  for (const id of finished) assert.ok(!listedAfter.has(id), `${id} is finished and not listed`);
  for (const [applicationId, n] of byApplication) assert.equal(n, 1, `one card for ${applicationId}`);
  // Every submitted application has its card: none was lost between the services.
  for (const a of applications)
    if (a.stage === ApplicationStage.SUBMITTED || a.stage === ApplicationStage.COMPLETED)
      assert.ok(byApplication.has(a.applicationId), `application ${a.applicationId} has its card`);

  const known = new Set([...applications.map((a) => a.applicationId), ...cards.map((c) => c.cardId)]);
  for (const i of items) assert.ok(known.has(i.id), `${i.id} listed is an application or card of the load`);
  return {
    applications: applications.length,
    complete,
    listed: items.length,
    cards: cards.length,
  };
}
