import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TokenSource } from '@cancuoc/auth';
import {
  closeClient,
  createClient,
  grpcCode,
  status,
  type channelCredentialsFor,
  type GrpcClient,
} from '@cancuoc/grpc';
import { contextOfTraceparent, spanContextOf } from '@cancuoc/observability';
import { EncodingFailureReason, EncodingStationService, type EncodingJob } from '@cancuoc/proto';
import { context } from '@opentelemetry/api';
import { chipImageSha256, type ChipFiles } from '../domain/personalisation/chip-image.js';
import { checkChipFiles } from './chip-check.js';
import { chipImage, readChipImage } from './chip-image-file.js';

export interface StationSimulatorOptions {
  /** `host:port` of card production. */
  readonly address: string;
  /**
   * The station's own tokens for audience `card-production` (kind `station`, role
   * `encoding-station`, `station` claim its id): `stationTokens()` from `./credentials.js` — client
   * credentials at the OpenID provider, or the embedded platform's development issuer — or
   * `givenToken(token)`.
   */
  readonly tokens: TokenSource;
  /**
   * The channel's credentials: mutual TLS with the station's certificate (`channelCredentialsFor`
   * of `tlsFilesFromEnv`), naming the same `station:<id>` as its tokens; default plaintext (loopback).
   */
  readonly credentials?: ReturnType<typeof channelCredentialsFor>;
  readonly capacity: number;
  /** DER certificates of the CSCAs to verify the chip data against. */
  readonly trustedCscas: readonly Uint8Array[];
  /** Folder for the chip images; without it they are kept in memory. */
  readonly outDir?: string;
  /** How long writing one chip takes. */
  readonly encodeMs?: number;
  /**
   * Do this many jobs, then stop: the station never announces more capacity than it has jobs left,
   * and closes its stream when it receives the last, so no job is leased to it that it will not do.
   */
  readonly maxJobs?: number;
  readonly software?: string;
  /** Told what happens; never personal data. */
  readonly log?: (event: SimulatorEvent) => void;
}

export interface SimulatorEvent {
  readonly event:
    | 'connected'
    | 'disconnected'
    | 'job-received'
    | 'job-completed'
    | 'job-failed'
    | 'chip-voided'
    | 'lease-lost';
  readonly jobId?: string;
  readonly chipSerial?: string;
  readonly detail?: string;
}

export interface SimulatorSummary {
  readonly completed: number;
  readonly failed: number;
  readonly voided: number;
}

/** Codes a station cannot fix by trying again: the token, the role, or the request is wrong. */
const FATAL = new Set([status.UNAUTHENTICATED, status.PERMISSION_DENIED, status.INVALID_ARGUMENT]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SimulatorRefusedError extends Error {
  override readonly name = 'SimulatorRefusedError';
}

/**
 * The reference encoding station: opens the job stream with its capacity, and for each job checks
 * the files (parsing every data group, passive authentication against the CSCA), writes a chip
 * image, reads it back, and completes the job with the chip serial and the SHA-256 of what it read
 * (EF.COM ‖ DG1 ‖ DG2 ‖ DG13 ‖ EF.SOD). It heartbeats its leases, reconnects with backoff when
 * the stream breaks, retries a settle call the service could not answer (they are idempotent), and
 * destroys a chip the service voided.
 */
export class StationSimulator {
  private readonly client: GrpcClient<typeof EncodingStationService>;
  private readonly inHand = new Map<string, string>();
  private readonly working = new Set<Promise<void>>();
  private stream: AbortController | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  /** Jobs received, for `maxJobs`. */
  private taken = 0;
  private readonly summary = { completed: 0, failed: 0, voided: 0 };
  private running: Promise<void> | undefined;
  private finish!: (summary: SimulatorSummary) => void;
  private abort!: (error: Error) => void;
  /** Settles when the simulator stopped: after `maxJobs`, `stop()`, or a refusal it cannot fix. */
  readonly done: Promise<SimulatorSummary>;

  constructor(private readonly options: StationSimulatorOptions) {
    this.client = createClient(EncodingStationService, options.address, {
      metadata: async () => ({ authorization: `Bearer ${await options.tokens.token('card-production')}` }),
      ...(options.credentials && { credentials: options.credentials }),
    });
    this.done = new Promise((resolve, reject) => {
      this.finish = resolve;
      this.abort = reject;
    });
    this.done.catch(() => undefined);
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Jobs received and not settled yet. */
  get inHandCount(): number {
    return this.inHand.size;
  }

  /**
   * Stops taking jobs (closes the job stream), settles the ones in hand — heartbeating their leases
   * meanwhile — and then `done`. Calling it again waits for the same.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    this.stopped = true;
    this.stream?.abort();
    await this.running;
    while (this.working.size > 0) await Promise.allSettled(this.working);
    clearInterval(this.heartbeat);
    closeClient(this.client);
    this.finish({ ...this.summary });
  }

  private log(event: SimulatorEvent): void {
    this.options.log?.(event);
  }

  private async run(): Promise<void> {
    let backoff = 250;
    while (!this.stopped) {
      this.stream = new AbortController();
      try {
        const messages = this.client.streamJobs(
          {
            capacity: this.capacityToAnnounce(),
            stationSoftware: this.options.software ?? 'cancuoc-station-simulator',
          },
          { signal: this.stream.signal },
        );
        for await (const message of messages) {
          backoff = 250;
          if (message.event.case === 'opened') {
            this.log({ event: 'connected', detail: `capacity ${message.event.value.capacity}` });
            this.startHeartbeat(message.event.value.heartbeatIntervalSeconds * 1000);
          } else if (message.event.case === 'job') {
            this.take(message.event.value);
          }
        }
      } catch (error) {
        if (this.stopped) break;
        const code = grpcCode(error);
        if (code !== undefined && FATAL.has(code)) {
          this.stopped = true;
          this.abort(new SimulatorRefusedError(`card production refused the station (${status[code]})`));
          break;
        }
      }
      if (this.stopped) break;
      this.log({ event: 'disconnected' });
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 10_000);
    }
  }

  /**
   * The capacity, or fewer when fewer jobs are left to do: the service counts the leases still in
   * hand against it, so it leases no more than the jobs left.
   */
  private capacityToAnnounce(): number {
    if (this.options.maxJobs === undefined) return this.options.capacity;
    return Math.max(1, Math.min(this.options.capacity, this.options.maxJobs - this.taken + this.inHand.size));
  }

  private startHeartbeat(everyMs: number): void {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => void this.beat(), everyMs);
    this.heartbeat.unref();
  }

  private async beat(): Promise<void> {
    try {
      const { leases } = await this.client.heartbeat({ leaseIds: [...this.inHand.keys()] });
      for (const lease of leases) {
        if (!lease.held) this.log({ event: 'lease-lost', jobId: this.inHand.get(lease.leaseId) });
      }
    } catch {
      // The next beat tries again; the lease deadline leaves room for a few missed ones.
    }
  }

  private take(job: EncodingJob): void {
    this.inHand.set(job.leaseId, job.jobId);
    this.taken += 1;
    this.log({ event: 'job-received', jobId: job.jobId });
    const work = this.encode(job)
      .catch(() => undefined)
      .finally(() => {
        this.inHand.delete(job.leaseId);
        this.working.delete(work);
      });
    this.working.add(work);
    // The last job to do: no other is wanted, so the stream closes now, before a free slot would
    // let the service lease one more to this station.
    if (this.options.maxJobs !== undefined && this.taken >= this.options.maxJobs) void this.stop();
  }

  /**
   * Works on `job` in its trace: the job's `traceparent` is the active span context, so a station
   * process with the OpenTelemetry SDK makes its CompleteJob/FailJob client spans children of the
   * dispatch; and it goes out as the calls' `traceparent` header in any case (the SDK's own, a
   * child of it, replaces it when there is one), so the settlement joins the card's trace.
   */
  private encode(job: EncodingJob): Promise<void> {
    return context.with(contextOfTraceparent(job.traceparent, context.active()), () => this.encodeJob(job));
  }

  private async encodeJob(job: EncodingJob): Promise<void> {
    const traced = spanContextOf(job.traceparent) ? { metadata: { traceparent: job.traceparent } } : {};
    const chip = job.chip;
    const files: ChipFiles = {
      efCom: chip?.efCom ?? new Uint8Array(),
      dg1: chip?.dg1 ?? new Uint8Array(),
      dg2: chip?.dg2 ?? new Uint8Array(),
      dg13: chip?.dg13 ?? new Uint8Array(),
      efSod: chip?.efSod ?? new Uint8Array(),
    };
    const problem = checkChipFiles(files, this.options.trustedCscas);
    if (problem) {
      const reason =
        problem.kind === 'unreadable'
          ? EncodingFailureReason.DATA_UNREADABLE
          : EncodingFailureReason.PASSIVE_AUTHENTICATION_FAILED;
      await this.settle(() =>
        this.client.failJob(
          { jobId: job.jobId, leaseId: job.leaseId, reason, detail: problem.detail },
          traced,
        ),
      );
      this.summary.failed += 1;
      this.log({ event: 'job-failed', jobId: job.jobId, detail: problem.detail });
      return;
    }
    await sleep(this.options.encodeMs ?? 0);
    const chipSerial = `SIM-${randomBytes(8).toString('hex').toUpperCase()}`;
    let readBack: ChipFiles;
    try {
      readBack = await this.writeAndReadBack(chipSerial, chip!.applicationIdentifier, files);
    } catch (error) {
      // The station's own fault (the --out folder, say): the job goes back to the queue at once
      // rather than waiting in a lease the station would hold for nothing.
      await this.destroy(chipSerial).catch(() => undefined);
      const detail = `the chip could not be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).name})`;
      await this.settle(() =>
        this.client.failJob(
          { jobId: job.jobId, leaseId: job.leaseId, reason: EncodingFailureReason.STATION_FAULT, detail },
          traced,
        ),
      );
      this.summary.failed += 1;
      this.log({ event: 'job-failed', jobId: job.jobId, detail });
      return;
    }
    try {
      await this.settle(() =>
        this.client.completeJob(
          { jobId: job.jobId, leaseId: job.leaseId, chipSerial, readBackSha256: chipImageSha256(readBack) },
          traced,
        ),
      );
      this.summary.completed += 1;
      this.log({ event: 'job-completed', jobId: job.jobId, chipSerial });
    } catch (error) {
      if (grpcCode(error) !== status.FAILED_PRECONDITION) throw error;
      // The service will not take this chip (the lease ran out, say): it must not leave the station.
      await this.destroy(chipSerial);
      this.summary.voided += 1;
      this.log({ event: 'chip-voided', jobId: job.jobId, chipSerial });
    }
  }

  private async writeAndReadBack(
    chipSerial: string,
    applicationId: Uint8Array,
    files: ChipFiles,
  ): Promise<ChipFiles> {
    const image = chipImage(applicationId, files);
    if (!this.options.outDir) return readChipImage(image);
    await mkdir(this.options.outDir, { recursive: true, mode: 0o700 });
    const path = join(this.options.outDir, `${chipSerial}.chip`);
    await writeFile(path, image, { mode: 0o600 });
    return readChipImage(await readFile(path));
  }

  private async destroy(chipSerial: string): Promise<void> {
    if (this.options.outDir) await rm(join(this.options.outDir, `${chipSerial}.chip`), { force: true });
  }

  /** A settle call, retried while card production cannot answer: the calls are idempotent. */
  private async settle<T>(call: () => Promise<T>): Promise<T> {
    for (let wait = 250; ; wait = Math.min(wait * 2, 5_000)) {
      try {
        return await call();
      } catch (error) {
        const code = grpcCode(error);
        if (code !== status.UNAVAILABLE && code !== status.DEADLINE_EXCEEDED && code !== status.ABORTED)
          throw error;
        await sleep(wait);
      }
    }
  }
}
