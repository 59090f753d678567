import { refuseOutsideLimit, type Authorized, type Refusals } from '@cancuoc/auth';
import {
  defineService,
  invalidArgument,
  type Authenticator,
  type CallContext,
  type ServiceRegistration,
} from '@cancuoc/grpc';
import { EncodingStationService, JobDisposition } from '@cancuoc/proto';
import type { Dispatcher, DispatchedJob } from '../../application/dispatcher.js';
import type { StationReports } from '../../application/station-reports.js';
import { LeaseOfAnotherStationError } from '../../domain/card/errors.js';
import { EMRTD_APPLICATION_ID } from '../../domain/personalisation/chip-image.js';
import { FAILURE_FROM_PROTO } from '../card-proto.js';
import { requireIds, toRpcError } from './errors.js';
import { checkCommand, checks } from './request-checks.js';
import { stationOf } from './principals.js';

export const MAX_CAPACITY = 64;
const MAX_LEASES_PER_HEARTBEAT = 256;
/** `station_software`: vendor, model and firmware. */
const MAX_SOFTWARE = 200;

export interface StationServiceOptions {
  readonly dispatcher: Dispatcher;
  readonly reports: StationReports;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  /** The guard of @cancuoc/auth: only encoding stations reach these handlers (the platform policy). */
  readonly authenticate: Authenticator<Authorized>;
  /** Where a station reaching for another station's lease is counted and logged, as the guard's refusals are. */
  readonly refusals: Refusals;
}

const DISPOSITIONS = {
  requeued: JobDisposition.REQUEUED,
  'manual-handling': JobDisposition.MANUAL_HANDLING,
  'lease-not-held': JobDisposition.LEASE_NOT_HELD,
} as const;

function jobMessage(job: DispatchedJob) {
  return {
    jobId: job.cardId,
    leaseId: job.leaseId,
    leaseDeadline: job.deadline,
    attempt: job.attempt,
    priority: job.priority,
    traceparent: job.traceparent ?? '',
    chip: {
      applicationIdentifier: EMRTD_APPLICATION_ID,
      efCom: job.files.efCom,
      dg1: job.files.dg1,
      dg2: job.files.dg2,
      dg13: job.files.dg13,
      efSod: job.files.efSod,
    },
  };
}

/** Resolves when any of the signals aborts. */
function anyAborted(...signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    if (signals.some((s) => s.aborted)) return resolve();
    for (const s of signals) s.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * `cancuoc.cardproduction.v1.EncodingStationService`: encoding stations only, as the platform policy
 * says (grant `encodingStation`, limit `own-station`). The limit is applied here: a station streams
 * jobs for itself, and settles and heartbeats only the leases granted to it — another station's
 * lease is PERMISSION_DENIED (`LEASE_OF_ANOTHER_STATION`), nothing recorded, and the refusal counted
 * like the guard's.
 */
export function encodingStationService(options: StationServiceOptions): ServiceRegistration {
  const { dispatcher, reports } = options;
  /** Runs a station's report; its refusals become statuses, a reach for another's lease a counted refusal. */
  const own = async <T>(
    call: CallContext<Authorized>,
    work: () => Promise<T>,
    renames?: Readonly<Record<string, string>>,
  ): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof LeaseOfAnotherStationError) {
        await refuseOutsideLimit(
          options.refusals,
          `${call.method.parent.typeName}/${call.method.name}`,
          call.principal,
          'LEASE_OF_ANOTHER_STATION',
          error.message,
        );
      }
      throw toRpcError(error, renames);
    }
  };
  return defineService(
    EncodingStationService,
    { authenticate: options.authenticate },
    {
      streamJobs: async (request, call) => {
        const stationId = stationOf(call);
        const shape = checks().text('station_software', request.stationSoftware, MAX_SOFTWARE);
        if (request.capacity < 1 || request.capacity > MAX_CAPACITY)
          shape.add('capacity', 'OUT_OF_RANGE', `between 1 and ${MAX_CAPACITY}`);
        shape.done();
        await call.send({
          event: {
            case: 'opened',
            value: {
              stationId,
              leaseSeconds: Math.round(options.leaseMs / 1000),
              heartbeatIntervalSeconds: Math.max(1, Math.round(options.heartbeatMs / 1000)),
              capacity: request.capacity,
            },
          },
        });
        const replaced = new AbortController();
        const detach = dispatcher.attach({
          stationId,
          capacity: request.capacity,
          send: async (job) => {
            if (call.signal.aborted || replaced.signal.aborted) throw new Error('the stream is closed');
            await call.send({ event: { case: 'job', value: jobMessage(job) } });
          },
          close: () => replaced.abort(),
        });
        try {
          await anyAborted(call.signal, call.draining, replaced.signal);
        } finally {
          detach();
        }
      },
      completeJob: (request, call) => {
        const stationId = stationOf(call);
        requireIds({ job_id: request.jobId, lease_id: request.leaseId });
        const report = {
          leaseId: request.leaseId,
          chipSerial: request.chipSerial,
          readBackSha256: request.readBackSha256,
        };
        const renames = { chipSerial: 'chip_serial', readBackSha256: 'read_back_sha256' };
        checkCommand({ type: 'CompleteEncoding', now: '', stationId, ...report }, renames);
        return own(call, () => reports.complete(stationId, request.jobId, report), renames);
      },
      failJob: async (request, call) => {
        const stationId = stationOf(call);
        requireIds({ job_id: request.jobId, lease_id: request.leaseId });
        checks().enumValue('reason', request.reason, FAILURE_FROM_PROTO, 'say why the job failed').done();
        const report = {
          leaseId: request.leaseId,
          reason: FAILURE_FROM_PROTO.get(request.reason)!,
          detail: request.detail,
          chipSerial: request.chipSerial === '' ? null : request.chipSerial,
        };
        const renames = { chipSerial: 'chip_serial' };
        checkCommand({ type: 'FailEncoding', now: '', stationId, ...report }, renames);
        const outcome = await own(call, () => reports.fail(stationId, request.jobId, report), renames);
        return { disposition: DISPOSITIONS[outcome.disposition], attemptsLeft: outcome.attemptsLeft };
      },
      heartbeat: async (request, call) => {
        const stationId = stationOf(call);
        if (request.leaseIds.length > MAX_LEASES_PER_HEARTBEAT) {
          throw invalidArgument([
            { field: 'lease_ids', reason: 'TOO_MANY', description: `at most ${MAX_LEASES_PER_HEARTBEAT}` },
          ]);
        }
        requireIds(Object.fromEntries(request.leaseIds.map((id, i) => [`lease_ids[${i}]`, id])));
        const leases = await own(call, () => reports.heartbeat(stationId, request.leaseIds));
        return {
          leases: leases.map((l) => ({ leaseId: l.leaseId, held: l.held, deadline: l.deadline ?? '' })),
        };
      },
    },
  );
}
