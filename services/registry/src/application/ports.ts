import type { CitizenRecord } from '../domain/citizen/state.js';

/** A citizen's record as of one version of its stream: what GetCitizen returns and the cache holds. */
export interface CitizenSnapshot {
  readonly citizenId: string;
  readonly version: number;
  readonly deceased: boolean;
  readonly record: CitizenRecord;
}

/**
 * Read-through cache of citizen records, keyed by record and version: a write makes a new version,
 * so a cached entry is never served for a record that has since changed. Never the source of truth:
 * an unreachable cache is a miss, not an error.
 */
export interface CitizenCache {
  get(citizenId: string, version: number): Promise<CitizenSnapshot | undefined>;
  set(snapshot: CitizenSnapshot): Promise<void>;
}
