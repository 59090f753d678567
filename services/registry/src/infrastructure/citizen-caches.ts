import type { Redis } from 'ioredis';
import type { CitizenCache, CitizenSnapshot } from '../application/ports.js';

const TTL_SECONDS = 3_600;
const key = (prefix: string, citizenId: string, version: number) =>
  `${prefix}citizen:${citizenId}:${version}`;

/**
 * The cache in Redis. Entries are immutable (a new version gets a new key), so no write path has to
 * invalidate anything and a read can never see an older version than the database. Redis being
 * down makes every read a miss; `failures` counts them for the metrics.
 */
export class RedisCitizenCache implements CitizenCache {
  failures = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'registry:',
  ) {}

  async get(citizenId: string, version: number): Promise<CitizenSnapshot | undefined> {
    try {
      const value = await this.redis.get(key(this.prefix, citizenId, version));
      return value ? (JSON.parse(value) as CitizenSnapshot) : undefined;
    } catch {
      this.failures += 1;
      return undefined;
    }
  }

  async set(snapshot: CitizenSnapshot): Promise<void> {
    try {
      await this.redis.set(
        key(this.prefix, snapshot.citizenId, snapshot.version),
        JSON.stringify(snapshot),
        'EX',
        TTL_SECONDS,
      );
    } catch {
      this.failures += 1;
    }
  }
}

/** The embedded default's cache: a bounded map in this process, oldest entries evicted first. */
export class MemoryCitizenCache implements CitizenCache {
  private readonly entries = new Map<string, CitizenSnapshot>();

  constructor(private readonly capacity = 10_000) {}

  async get(citizenId: string, version: number): Promise<CitizenSnapshot | undefined> {
    return this.entries.get(key('', citizenId, version));
  }

  async set(snapshot: CitizenSnapshot): Promise<void> {
    this.entries.set(key('', snapshot.citizenId, snapshot.version), snapshot);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
