/**
 * Stops kafkajs 2.2.4 from spinning while idle. Each broker connection's request queue re-arms a
 * timer after every check, even with nothing queued and no throttle: `throttledUntil` starts at -1,
 * so the delay is `-1 - Date.now()`, which Node runs as 1 ms (and, from Node 24, warns about as a
 * `TimeoutNegativeWarning`). Every connection of every client (consumers, producer, admin) thus
 * woke its thread about a thousand times a second: ~860 wake-ups/s and 4–5% of a core for an idle
 * service (docs/benchmarks.md, Pipeline). Upstream: tulios/kafkajs#1556, #1704, #1751 (fixes open,
 * unreleased).
 *
 * The replacement schedules a check only when one can do something: requests are waiting (at the
 * end of the throttle, or after kafkajs's 10 ms when merely in flight-limited, as before), or a
 * throttle is in force. With nothing waiting, the next check comes from where kafkajs already calls
 * it: a request pushed (sent at once, or queued and scheduled here) and every response.
 *
 * Applied once per thread on import (the producer thread imports it too); a later kafkajs whose
 * request queue no longer looks like 2.2.4's is left alone.
 */
import { createRequire } from 'node:module';

/** kafkajs's fallback delay for waiting requests when not throttled (its `CHECK_PENDING_REQUESTS_INTERVAL`). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const PATCHED = Symbol.for('cancuoc.kafkajs.idle-request-queue');

/** Whether the request queue's scheduling was replaced (false: an unknown kafkajs, left as it is). */
export function patchKafkaRequestQueue(): boolean {
  const require = createRequire(import.meta.url);
  let RequestQueue: { prototype: RequestQueueInternals & { [PATCHED]?: true } } | undefined;
  try {
    RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as typeof RequestQueue;
  } catch {
    return false;
  }
  const prototype = RequestQueue?.prototype;
  if (!prototype || typeof prototype.scheduleCheckPendingRequests !== 'function') return false;
  if (prototype[PATCHED]) return true;
  prototype.scheduleCheckPendingRequests = function (this: RequestQueueInternals) {
    if (this.throttleCheckTimeoutId) return;
    const throttledFor = this.throttledUntil - Date.now();
    let delay: number;
    if (this.pending.length > 0) delay = throttledFor > 0 ? throttledFor : CHECK_PENDING_REQUESTS_INTERVAL_MS;
    else if (throttledFor > 0) delay = throttledFor;
    else return; // nothing waits and nothing throttles: the next push or response checks again
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, delay);
  };
  prototype[PATCHED] = true;
  return true;
}

patchKafkaRequestQueue();
