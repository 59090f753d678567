import { Interrupted } from '../cli/command.js';

/**
 * Runs `work` over `items`, `concurrency` at a time; the first failure stops taking new items and
 * is rethrown once those in flight settle. An aborted `signal` stops taking new items too.
 */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && !signal?.aborted && next < items.length) {
      const index = next++;
      try {
        await work(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failure) throw failure.error;
}

/**
 * Polls `read` every `intervalMs` until `done` holds; throws `onTimeout()` after `timeoutMs`, and
 * `Interrupted` once `signal` is aborted.
 */
export async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  options: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal; onTimeout: () => Error },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (options.signal?.aborted) throw new Interrupted();
    if (Date.now() > deadline) throw options.onTimeout();
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}
