import { randomUUID } from 'node:crypto';
import { partnerTopicsOf } from '@cancuoc/proto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';

/** A record as the agency receives it, with the broker's timestamp (set by the producer when sent). */
export interface ReceivedRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: Uint8Array | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestamp: number;
  /** Every byte of key, value and headers, for searching. */
  readonly bytes: Buffer;
}

/** Reads an agency's two topics from the beginning, as the agency's own consumer would. */
export class PartnerReader {
  readonly records: ReceivedRecord[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(brokers: readonly string[], agency: string): Promise<PartnerReader> {
    const kafka = new Kafka({
      clientId: `agency-${agency}`,
      brokers: [...brokers],
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({ groupId: `agency-${agency}-${randomUUID()}`, maxWaitTimeInMs: 100 });
    const reader = new PartnerReader(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: partnerTopicsOf(agency).map((t) => t.name), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {}))
          headers[k] = String(Array.isArray(v) ? v[0] : v);
        const key = message.key?.toString() ?? '';
        const value = message.value ? new Uint8Array(message.value) : null;
        reader.records.push({
          topic,
          key,
          value,
          headers,
          timestamp: Number(message.timestamp),
          bytes: Buffer.concat([
            Buffer.from(key),
            Buffer.from(value ?? new Uint8Array()),
            ...Object.entries(headers).map(([k, v]) => Buffer.from(`${k}=${v}`)),
          ]),
        });
      },
    });
    return reader;
  }

  /** The compacted topic's records: what the agency's table of citizens is built from. */
  citizenRecords(): ReceivedRecord[] {
    return this.records.filter((r) => r.topic.endsWith('.citizen.v1'));
  }

  changeRecords(): ReceivedRecord[] {
    return this.records.filter((r) => r.topic.endsWith('.citizen-changes.v1'));
  }

  /** The latest record per citizen on the compacted topic (what compaction keeps). */
  latest(): Map<string, ReceivedRecord> {
    const latest = new Map<string, ReceivedRecord>();
    for (const r of this.citizenRecords()) latest.set(r.key, r);
    return latest;
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}

export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
