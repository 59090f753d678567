import { CatalogueMeter, type MetricAttributes } from './instruments.js';

const meter = new CatalogueMeter('@cancuoc/card-production');

export type CardJobState = NonNullable<MetricAttributes<'cardJobDepth'>['cancuoc.job.state']>;
export type StationJobOutcome = NonNullable<MetricAttributes<'stationJobsSettled'>['cancuoc.job.outcome']>;

/**
 * Reports `cancuoc.card_jobs.depth` by state at every collection, from `read` (one grouped count
 * over the job table, say). A state missing from what `read` returns is reported as 0, so a queue
 * that empties shows 0 rather than its last value. Returns the function that stops reporting.
 */
export function observeCardJobDepth(read: () => Promise<Partial<Record<CardJobState, number>>>): () => void {
  return meter.observe('cardJobDepth', async (observe) => {
    const depth = await read();
    for (const state of ['queued', 'leased', 'failed'] as const) {
      observe(depth[state] ?? 0, { 'cancuoc.job.state': state });
    }
  });
}

/**
 * Records that station `stationId` (a machine id, never a person's) settled a job: the
 * `cancuoc.station.jobs.settled` counter by outcome and, given the lease time, the
 * `cancuoc.station.job.duration` from lease to settlement.
 */
export function recordStationJobSettled(
  stationId: string,
  outcome: StationJobOutcome,
  leasedAt?: Date,
  settledAt: Date = new Date(),
): void {
  meter.add('stationJobsSettled', 1, { 'cancuoc.station.id': stationId, 'cancuoc.job.outcome': outcome });
  if (leasedAt) {
    meter.record('stationJobDuration', Math.max(0, settledAt.getTime() - leasedAt.getTime()) / 1000, {
      'cancuoc.station.id': stationId,
    });
  }
}
