import { closeClient, type GrpcClient } from '@cancuoc/grpc';
import type { EncodingJob, EncodingStationService, StreamOpened } from '@cancuoc/proto';
import { chipImageSha256, type ChipFiles } from '../domain/personalisation/chip-image.js';
import { eventually, stationClient } from './fixture.js';

/** A station under the test's control: its stream's messages are collected, its calls made by hand. */
export class TestStation {
  readonly client: GrpcClient<typeof EncodingStationService>;
  readonly jobs: EncodingJob[] = [];
  opened: StreamOpened | undefined;
  ended: unknown;
  private taken = 0;
  private abort: AbortController | undefined;

  constructor(
    address: string,
    readonly stationId: string,
  ) {
    this.client = stationClient(address, stationId);
  }

  /** Opens the job stream and waits for its `opened` message. */
  async open(capacity = 1): Promise<this> {
    this.abort = new AbortController();
    this.ended = undefined;
    const stream = this.client.streamJobs(
      { capacity, stationSoftware: 'test' },
      { signal: this.abort.signal, timeoutMs: 600_000 },
    );
    void (async () => {
      try {
        for await (const message of stream) {
          if (message.event.case === 'opened') this.opened = message.event.value;
          if (message.event.case === 'job') this.jobs.push(message.event.value);
        }
        this.ended = 'ended';
      } catch (error) {
        this.ended = error;
      }
    })();
    await eventually(
      async () => this.opened ?? (this.ended ? Promise.reject(this.ended) : undefined),
      'the stream to open',
    );
    return this;
  }

  /** The next job not yet taken by the test. */
  async nextJob(timeoutMs = 30_000): Promise<EncodingJob> {
    const job = await eventually(async () => this.jobs[this.taken], `a job for ${this.stationId}`, timeoutMs);
    this.taken += 1;
    return job;
  }

  /** Drops the stream as a crashed station's connection would drop. */
  disconnect(): void {
    this.abort?.abort();
  }

  close(): void {
    this.disconnect();
    closeClient(this.client);
  }
}

export function filesOf(job: EncodingJob): ChipFiles {
  const c = job.chip!;
  return { efCom: c.efCom, dg1: c.dg1, dg2: c.dg2, dg13: c.dg13, efSod: c.efSod };
}

/** The read-back hash an honest station reports for the job. */
export const readBack = (job: EncodingJob) => chipImageSha256(filesOf(job));
