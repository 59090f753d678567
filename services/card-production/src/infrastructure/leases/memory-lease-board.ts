import type { LeaseBoard } from '../../application/ports.js';

const STALE_MS = 10 * 60_000;

/** The lease board of the embedded single process: the same promises, in memory. */
export class MemoryLeaseBoard implements LeaseBoard {
  private readonly leases = new Map<string, Date>();
  private readonly stations = new Set<string>();
  private writes = 0;

  extend(leaseId: string, until: Date): Promise<boolean> {
    this.leases.delete(leaseId);
    this.leases.set(leaseId, until);
    // Settled leases are never read again: drop entries long past, oldest first (insertion order).
    if (++this.writes % 1_000 === 0) {
      const stale = Date.now() - STALE_MS;
      for (const [id, at] of this.leases) {
        if (at.getTime() >= stale) break;
        this.leases.delete(id);
      }
    }
    return Promise.resolve(true);
  }

  extendedUntil(leaseIds: readonly string[]): Promise<ReadonlyMap<string, Date>> {
    const found = new Map<string, Date>();
    for (const id of leaseIds) {
      const until = this.leases.get(id);
      if (until) found.set(id, until);
    }
    return Promise.resolve(found);
  }

  stationConnected(stationId: string): Promise<void> {
    this.stations.add(stationId);
    return Promise.resolve();
  }

  stationDisconnected(stationId: string): Promise<void> {
    this.stations.delete(stationId);
    return Promise.resolve();
  }

  connectedStations(): Promise<number> {
    return Promise.resolve(this.stations.size);
  }
}
