import type { Redis } from 'ioredis';
import type { LeaseBoard } from '../../application/ports.js';

/**
 * The lease board in Redis: `<prefix>lease:<id>` holds the deadline heartbeats extended a lease to
 * (expiring on its own soon after), `<prefix>stations` scores each connected station by when its
 * presence lapses. Every failure (Redis down, a timeout) reads as "nothing known": the leases then
 * run out at the deadline PostgreSQL holds, which is safe.
 */
export class RedisLeaseBoard implements LeaseBoard {
  constructor(
    private readonly redis: Redis,
    private readonly options: { keyPrefix: string; leaseMs: number; presenceMs: number },
  ) {}

  private key(leaseId: string): string {
    return `${this.options.keyPrefix}lease:${leaseId}`;
  }

  private get stations(): string {
    return `${this.options.keyPrefix}stations`;
  }

  async extend(leaseId: string, until: Date): Promise<boolean> {
    try {
      await this.redis.set(this.key(leaseId), String(until.getTime()), 'PX', this.options.leaseMs * 3);
      return true;
    } catch {
      return false;
    }
  }

  async extendedUntil(leaseIds: readonly string[]): Promise<ReadonlyMap<string, Date>> {
    if (leaseIds.length === 0) return new Map();
    try {
      const values = await this.redis.mget(...leaseIds.map((id) => this.key(id)));
      const found = new Map<string, Date>();
      values.forEach((v, i) => v !== null && found.set(leaseIds[i]!, new Date(Number(v))));
      return found;
    } catch {
      return new Map();
    }
  }

  async stationConnected(stationId: string): Promise<void> {
    await this.redis
      .zadd(this.stations, Date.now() + this.options.presenceMs, stationId)
      .catch(() => undefined);
  }

  async stationDisconnected(stationId: string): Promise<void> {
    await this.redis.zrem(this.stations, stationId).catch(() => undefined);
  }

  async connectedStations(): Promise<number> {
    try {
      return await this.redis.zcount(this.stations, Date.now(), '+inf');
    } catch {
      return 0;
    }
  }
}
