import type { Subscription } from '../subscription.js';

/**
 * Runs a subscription's batches until `done` holds. An empty batch does not mean the end: any
 * transaction open on the server, in any database, holds the ordered read back for a moment.
 */
export async function drain(subscription: Subscription, done: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${subscription.name} did not catch up in time`);
    const outcome = await subscription.runOnce();
    if (outcome === 'busy' || outcome.read === 0) await new Promise((r) => setTimeout(r, 10));
  }
}
