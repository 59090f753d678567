import type { DeliveryGate } from '../../application/ports.js';

/**
 * The delivery gate within one process (the embedded default: PGlite serves one process only, so
 * the publisher and every command share this gate). Holders of one agency's gate run one at a time.
 */
export class LocalDeliveryGate implements DeliveryGate {
  private readonly tails = new Map<string, Promise<unknown>>();

  hold<T>(agency: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(agency) ?? Promise.resolve();
    const run = before.then(work, work);
    const tail = run.catch(() => undefined);
    this.tails.set(agency, tail);
    void tail.then(() => {
      if (this.tails.get(agency) === tail) this.tails.delete(agency);
    });
    return run;
  }

  async barrier(agency: string): Promise<void> {
    await this.hold(agency, async () => undefined);
  }

  async close(): Promise<void> {
    await Promise.all(this.tails.values());
  }
}
