import type { IncomingRecord, OutgoingRecord } from './transport.js';

/** Headers a dead-lettered record carries besides its original ones. */
export const DLQ_HEADERS = {
  error: 'cancuoc_dlq_error',
  errorType: 'cancuoc_dlq_error_type',
  subscriber: 'cancuoc_dlq_subscriber',
  topic: 'cancuoc_dlq_topic',
  partition: 'cancuoc_dlq_partition',
  offset: 'cancuoc_dlq_offset',
  attempts: 'cancuoc_dlq_attempts',
  failedAt: 'cancuoc_dlq_failed_at',
} as const;

const DLQ_PREFIX = 'cancuoc_dlq_';
/** Kafka headers are small; an error message is cut rather than refused. */
const MAX_ERROR_CHARS = 1_000;

export const deadLetterTopic = (topic: string) => `${topic}.dlq`;

function describe(error: unknown): { type: string; message: string } {
  if (error instanceof Error) return { type: error.name, message: error.message.slice(0, MAX_ERROR_CHARS) };
  return { type: typeof error, message: String(error).slice(0, MAX_ERROR_CHARS) };
}

/** The record as it goes to `<topic>.dlq`: untouched, with why and where it failed in headers. */
export function toDeadLetter(
  record: IncomingRecord,
  subscriber: string,
  error: unknown,
  attempts: number,
): OutgoingRecord {
  const { type, message } = describe(error);
  return {
    topic: deadLetterTopic(record.topic),
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [DLQ_HEADERS.error]: message,
      [DLQ_HEADERS.errorType]: type,
      [DLQ_HEADERS.subscriber]: subscriber,
      [DLQ_HEADERS.topic]: record.topic,
      [DLQ_HEADERS.partition]: String(record.partition),
      [DLQ_HEADERS.offset]: record.offset.toString(),
      [DLQ_HEADERS.attempts]: String(attempts),
      [DLQ_HEADERS.failedAt]: new Date().toISOString(),
    },
  };
}

/** A dead letter sent back to the topic it came from, as it was before it failed. */
export function fromDeadLetter(record: IncomingRecord): OutgoingRecord {
  const original = record.headers[DLQ_HEADERS.topic];
  if (!original) throw new Error(`record ${record.offset} of ${record.topic} is not a dead letter`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.headers)) {
    if (!name.startsWith(DLQ_PREFIX)) headers[name] = value;
  }
  headers.cancuoc_redriven_at = new Date().toISOString();
  return { topic: original, key: record.key, value: record.value, headers };
}
