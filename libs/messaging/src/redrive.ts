import { DLQ_HEADERS, deadLetterTopic, fromDeadLetter } from './dead-letters.js';
import type { Transport } from './transport.js';

export interface RedriveOptions {
  readonly transport: Transport;
  /** The original topic; its dead letters are read from `<topic>.dlq`. */
  readonly topic: string;
  /** Only the dead letters of this subscriber; all of them when absent. */
  readonly subscriber?: string;
  /** Gives up waiting for the redrive to catch up after this long. */
  readonly timeoutMs?: number;
}

export interface RedriveResult {
  readonly redriven: number;
  readonly skipped: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Thrown for a dead letter that arrived after the redrive began, so that it is neither sent back
 * nor counted as consumed: it waits for the next redrive. (Its event may have failed again as it was
 * being redriven; sending it back at once would go round for as long as the cause lasts.)
 */
class ArrivedAfterRedriveBegan extends Error {
  override readonly name = 'ArrivedAfterRedriveBegan';
}

/** A redrive that had not handled every dead letter there at its start when its time was up. */
export class RedriveTimeoutError extends Error {
  override readonly name = 'RedriveTimeoutError';
}

/** The consumer group a redrive of `dlq` reads with: one per subscriber redriven, or one for all. */
export function redriveGroup(dlq: string, subscriber?: string): string {
  return `cancuoc.redrive.${subscriber ?? 'all'}.${dlq}`;
}

/**
 * Dead letters of `subscriber` in `dlq` not yet redriven: records past the position of the redrive
 * group for this subscriber, or of the one for all subscribers, whichever went further. A
 * dead-letter topic is shared by the topic's subscribers, so where several consume a topic this
 * counts their dead letters too: an upper bound, exact for a topic with one subscriber.
 */
export async function deadLetterDepth(
  transport: Transport,
  dlq: string,
  subscriber: string,
): Promise<number> {
  const [end, redrivenForMe, redrivenForAll] = await Promise.all([
    transport.endOffsets(dlq),
    transport.committedOffsets(redriveGroup(dlq, subscriber), dlq),
    transport.committedOffsets(redriveGroup(dlq), dlq),
  ]);
  let depth = 0n;
  for (const [partition, high] of end) {
    const mine = redrivenForMe.get(partition) ?? 0n;
    const everyone = redrivenForAll.get(partition) ?? 0n;
    const position = mine > everyone ? mine : everyone;
    if (high > position) depth += high - position;
  }
  return Number(depth);
}

/**
 * Sends the dead letters of a topic back to it, after the cause was fixed, and returns once every
 * dead letter there at the start has been handled; those that arrive meanwhile (a redriven event
 * failing again, say) stay for the next redrive. The redrive has its own consumer group, so each
 * dead letter is sent back once per redrive of its subscriber; other subscribers of the topic see the
 * event again and their inboxes skip it.
 */
export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveResult> {
  const { transport, topic, subscriber } = options;
  const dlq = deadLetterTopic(topic);
  const group = redriveGroup(dlq, subscriber);
  const end = await transport.endOffsets(dlq);
  let redriven = 0;
  let skipped = 0;
  const subscription = await transport.subscribe({
    group,
    topics: [dlq],
    fromBeginning: true,
    handle: async (record) => {
      if (record.offset >= (end.get(record.partition) ?? 0n)) throw new ArrivedAfterRedriveBegan();
      if (subscriber !== undefined && record.headers[DLQ_HEADERS.subscriber] !== subscriber) {
        skipped += 1;
        return;
      }
      await transport.publish([fromDeadLetter(record)]);
      redriven += 1;
    },
  });
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  try {
    for (;;) {
      const committed = await transport.committedOffsets(group, dlq);
      const behind = [...end].filter(([p, offset]) => offset > 0n && (committed.get(p) ?? 0n) < offset);
      if (behind.length === 0) return { redriven, skipped };
      if (Date.now() > deadline) {
        throw new RedriveTimeoutError(
          `redrive of ${dlq} did not catch up within ${options.timeoutMs ?? 60_000} ms`,
        );
      }
      await sleep(100);
    }
  } finally {
    await subscription.stop();
  }
}
