import { randomBytes } from 'node:crypto';
import type { SqlExecutor } from '@cancuoc/eventstore';
import type { DuplicateCandidate } from '../../domain/application/events.js';
import {
  CandidateIndex,
  DEFAULT_INDEXING,
  FeatureKeys,
  type IndexingParameters,
} from '../../domain/biometrics/candidate-index.js';
import {
  MINUTIAE_RECORD_MEDIA_TYPE,
  parseMinutiaeRecord,
  type MinutiaeRecord,
} from '../../domain/biometrics/iso19794-2.js';
import {
  compareTenPrints,
  DEFAULT_MATCHING,
  type MatchingParameters,
} from '../../domain/biometrics/minutiae-matching.js';
import type { BiometricVault } from '../../application/biometric-vault.js';
import type {
  AuditedAccess,
  AuditTrail,
  DuplicateMatcher,
  DuplicateProbe,
  DuplicateSearchResult,
  KeyProvider,
} from '../../application/ports.js';

/** Stages whose fingerprints count as enrolled: the duplicate check ran and did not reject them. */
const GALLERY_STAGES = ['adjudication', 'review', 'submitted', 'completed'];
/** Index rows read per query while loading or catching up. */
const LOAD_PAGE = 5000;
/** Gallery records decrypted per query while indexing those filed before the index existed. */
const BACKFILL_PAGE = 200;
/**
 * Catching up re-reads this many sequence numbers below the last one seen: a row whose number was
 * drawn before a later row's but committed after it (another instance's insert) is not skipped.
 */
const CATCH_UP_OVERLAP = 64;
/** Candidates taken from the index beyond the limit, to make up for the probe citizen's own. */
const OWN_APPLICATIONS_ALLOWANCE = 8;

export interface BuiltInMatcherOptions {
  readonly matching?: MatchingParameters;
  readonly indexing?: IndexingParameters;
  /** 2^bits index buckets; 22 suits millions of people. */
  readonly bucketBits?: number;
}

/** What one process holds: the index, and which application each member number stands for. */
interface Loaded {
  readonly keys: FeatureKeys;
  readonly index: CandidateIndex;
  readonly applications: string[];
  readonly citizens: string[];
  readonly seqs: number[];
  readonly memberOf: Map<string, number>;
  lastSeq: number;
}

const encodeKeys = (keys: Uint32Array): Buffer => {
  const bytes = Buffer.alloc(keys.length * 4);
  keys.forEach((key, i) => bytes.writeUInt32BE(key, i * 4));
  return bytes;
};

const decodeKeys = (bytes: Uint8Array): Uint32Array => {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Uint32Array.from({ length: buffer.length / 4 }, (_, i) => buffer.readUInt32BE(i * 4));
};

/**
 * The built-in 1:N matcher. A probe is looked up in a candidate index over minutia triplets
 * (`CandidateIndex`), and only the few most-voted enrolled people are read from the vault
 * (decrypted, each read audited) and compared in full by minutiae pairing (`compareTenPrints`):
 * the search does not read the gallery, so its cost barely grows with it (figures in
 * docs/benchmarks.md). A national deployment may still put an ABIS behind `DuplicateMatcher`.
 *
 * The index lives in enrollment's database (`enr_fingerprint_index`): each probe's keys are filed
 * when it is searched — every application passes the duplicate check before it enters the gallery
 * — and every instance loads the rows at its first search, then catches up with the rows filed
 * since at each search. Gallery membership is decided at each search from `enr_applications`, so
 * a filed application counts only once it is in a gallery stage. Applications enrolled before
 * the index existed are indexed at the first search (their records read through the vault,
 * audited). Keys are derived under a secret wrapped by the master key; erasure and closing
 * without enrolment delete the rows (triggers, migration 0201).
 */
export class BuiltInMatcher implements DuplicateMatcher {
  readonly name = 'built-in-minutiae';
  /** It compares minutiae; finger images would need a minutiae extractor, which an ABIS has. */
  readonly comparesImages = false;
  private readonly matching: MatchingParameters;
  private readonly indexing: IndexingParameters;
  private loaded: Promise<Loaded> | undefined;
  private syncing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: SqlExecutor,
    private readonly vault: BiometricVault,
    private readonly audit: AuditTrail,
    private readonly masterKeys: KeyProvider,
    private readonly options: BuiltInMatcherOptions = {},
  ) {
    this.matching = options.matching ?? DEFAULT_MATCHING;
    this.indexing = options.indexing ?? DEFAULT_INDEXING;
  }

  async search(probe: DuplicateProbe): Promise<DuplicateSearchResult> {
    if (probe.prints.kind !== 'minutiae')
      throw new Error('the built-in matcher compares minutiae records only');
    const record = probe.prints.record;
    const state = await this.current();
    const resolution = record.resolutionX;
    const limit = this.indexing.candidates;
    const found = state.index
      .search(
        state.keys.query(record.views, resolution, this.indexing),
        limit + OWN_APPLICATIONS_ALLOWANCE,
        this.indexing.minVotes,
      )
      .filter(({ member }) => state.citizens[member] !== probe.citizenId)
      .slice(0, limit);
    const result = await this.compare(
      probe,
      record,
      state,
      found.map(({ member }) => member),
    );
    await this.file(probe.applicationId, probe.citizenId, record);
    return result;
  }

  /** The index, loaded at the first search and caught up with every other instance's filings. */
  private async current(): Promise<Loaded> {
    if (!this.loaded) {
      this.loaded = this.open();
      this.loaded.catch(() => (this.loaded = undefined));
    }
    const state = await this.loaded;
    const caughtUp = this.syncing.then(() => this.catchUp(state));
    this.syncing = caughtUp.catch(() => undefined);
    await caughtUp;
    return state;
  }

  private async open(): Promise<Loaded> {
    const secret = await this.indexSecret();
    const state: Loaded = {
      keys: new FeatureKeys(secret),
      index: new CandidateIndex(this.options.bucketBits ?? 22),
      applications: [],
      citizens: [],
      seqs: [],
      memberOf: new Map(),
      lastSeq: 0,
    };
    await this.backfill(state.keys);
    await this.catchUp(state);
    state.index.merge();
    return state;
  }

  /** The index secret: made once, stored wrapped by the master key, unwrapped by each instance. */
  private async indexSecret(): Promise<Uint8Array> {
    const select = () =>
      this.db.query<{ master_key_id: string; wrapped_key: Uint8Array }>(
        'SELECT master_key_id, wrapped_key FROM enr_fingerprint_index_key WHERE id = 1',
      );
    let [row] = await select();
    if (!row) {
      const { keyId, wrapped } = await this.masterKeys.wrap(randomBytes(32));
      await this.db.query(
        `INSERT INTO enr_fingerprint_index_key (id, master_key_id, wrapped_key) VALUES (1, $1, $2)
         ON CONFLICT (id) DO NOTHING`,
        [keyId, wrapped],
      );
      [row] = await select();
    }
    return this.masterKeys.unwrap(row!.master_key_id, row!.wrapped_key);
  }

  /** Files into memory the rows filed since the last look (by any instance). */
  private async catchUp(state: Loaded): Promise<void> {
    for (;;) {
      const from = Math.max(0, state.lastSeq - CATCH_UP_OVERLAP);
      const rows = await this.db.query<{
        seq: string;
        application_id: string;
        citizen_id: string;
        keys: Uint8Array;
      }>(
        `SELECT seq::text AS seq, application_id, citizen_id, keys FROM enr_fingerprint_index
         WHERE seq > $1 ORDER BY seq LIMIT $2`,
        [from, LOAD_PAGE + CATCH_UP_OVERLAP],
      );
      let fresh = 0;
      for (const row of rows) {
        const seq = Number(row.seq);
        const existing = state.memberOf.get(row.application_id);
        if (existing !== undefined && state.seqs[existing] === seq) continue;
        if (existing !== undefined) state.index.remove(existing);
        const member = state.applications.length;
        state.applications.push(row.application_id);
        state.citizens.push(row.citizen_id);
        state.seqs.push(seq);
        state.memberOf.set(row.application_id, member);
        state.index.add(member, decodeKeys(row.keys));
        state.lastSeq = Math.max(state.lastSeq, seq);
        fresh++;
      }
      if (fresh === 0 || rows.length < LOAD_PAGE) return;
    }
  }

  private forget(state: Loaded, applicationId: string): void {
    const member = state.memberOf.get(applicationId);
    if (member === undefined) return;
    state.index.remove(member);
    state.memberOf.delete(applicationId);
  }

  /** Reads and compares the candidates that are still enrolled: the only gallery reads a search makes. */
  private async compare(
    probe: DuplicateProbe,
    record: MinutiaeRecord,
    state: Loaded,
    members: readonly number[],
  ): Promise<DuplicateSearchResult> {
    if (members.length === 0) return { comparedWith: 0, candidates: [] };
    const applicationIds = members.map((m) => state.applications[m]!);
    const rows = await this.db.query<{
      application_id: string;
      citizen_id: string | null;
      fingerprints_ref: string | null;
      stage: string;
    }>(
      `SELECT i.application_id, a.citizen_id, a.fingerprints_ref, a.stage
       FROM enr_fingerprint_index i JOIN enr_applications a USING (application_id)
       WHERE i.application_id = ANY ($1::uuid[])
       ORDER BY a.started_at DESC`,
      [applicationIds],
    );
    // Rows gone from the index (erased, or closed without enrolling) leave this instance's memory too.
    const present = new Set(rows.map((r) => r.application_id));
    for (const id of applicationIds) if (!present.has(id)) this.forget(state, id);
    const seenCitizens = new Set<string>();
    const entries: Array<{ application_id: string; citizen_id: string; fingerprints_ref: string }> = [];
    for (const row of rows) {
      if (!row.fingerprints_ref || !row.citizen_id || row.citizen_id === probe.citizenId) continue;
      if (!GALLERY_STAGES.includes(row.stage) || seenCitizens.has(row.citizen_id)) continue;
      // The citizen's latest enrolled application among the candidates (rows are newest first).
      seenCitizens.add(row.citizen_id);
      entries.push({
        application_id: row.application_id,
        citizen_id: row.citizen_id,
        fingerprints_ref: row.fingerprints_ref,
      });
    }
    const objects = await this.vault.readMany(
      this.db,
      entries.map((e) => e.fingerprints_ref),
    );
    const candidates: DuplicateCandidate[] = [];
    const reads: AuditedAccess[] = [];
    for (const entry of entries) {
      const stored = objects.get(entry.fingerprints_ref);
      if (stored === undefined || stored === 'destroyed') {
        this.forget(state, entry.application_id);
        continue;
      }
      if (stored.ref.mediaType !== MINUTIAE_RECORD_MEDIA_TYPE) continue;
      reads.push({
        actor: 'service:enrollment',
        action: 'fingerprints.read',
        purpose: 'duplicate-check',
        subjectId: entry.citizen_id,
        fields: ['fingerprints'],
        detail: { applicationId: entry.application_id, probeApplicationId: probe.applicationId },
      });
      const reference = parseMinutiaeRecord(stored.bytes);
      const result = compareTenPrints(
        { views: record.views, resolution: record.resolutionX },
        { views: reference.views, resolution: reference.resolutionX },
        this.matching,
      );
      if (result.candidate) {
        candidates.push({
          applicationId: entry.application_id,
          citizenId: entry.citizen_id,
          score: Math.round(result.bestScore * 1000) / 1000,
          matchingFingers: result.matchingFingers,
        });
      }
    }
    if (reads.length > 0) await this.audit.recordMany(reads);
    candidates.sort((a, b) => b.score - a.score);
    return { comparedWith: reads.length, candidates };
  }

  /** Files an application's keys (again, with a new sequence number, if its prints changed). */
  private async file(applicationId: string, citizenId: string, record: MinutiaeRecord): Promise<void> {
    const state = await this.loaded!;
    const keys = state.keys.enrolment(record.views, record.resolutionX, this.indexing);
    await this.db.query(
      `INSERT INTO enr_fingerprint_index (application_id, citizen_id, keys) VALUES ($1, $2, $3)
       ON CONFLICT (application_id) DO UPDATE
         SET citizen_id = EXCLUDED.citizen_id, keys = EXCLUDED.keys, seq = nextval('enr_fingerprint_index_seq')
         WHERE enr_fingerprint_index.keys <> EXCLUDED.keys OR enr_fingerprint_index.citizen_id <> EXCLUDED.citizen_id`,
      [applicationId, citizenId, encodeKeys(keys)],
    );
  }

  /**
   * Indexes the enrolled applications that have no index row: those enrolled before the index
   * existed (or by a version without it). Each record is read through the vault, and audited.
   */
  private async backfill(keys: FeatureKeys): Promise<void> {
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const page = await this.db.query<{
        application_id: string;
        citizen_id: string;
        fingerprints_ref: string;
      }>(
        `SELECT a.application_id, a.citizen_id, a.fingerprints_ref FROM enr_applications a
         WHERE a.fingerprints_ref IS NOT NULL AND a.citizen_id IS NOT NULL AND a.stage = ANY ($1)
           AND a.application_id > $2
           AND NOT EXISTS (SELECT 1 FROM enr_fingerprint_index i WHERE i.application_id = a.application_id)
         ORDER BY a.application_id LIMIT $3`,
        [GALLERY_STAGES, after, BACKFILL_PAGE],
      );
      if (page.length === 0) return;
      after = page.at(-1)!.application_id;
      const objects = await this.vault.readMany(
        this.db,
        page.map((e) => e.fingerprints_ref),
      );
      const reads: AuditedAccess[] = [];
      for (const entry of page) {
        const stored = objects.get(entry.fingerprints_ref);
        if (stored === undefined || stored === 'destroyed') continue;
        if (stored.ref.mediaType !== MINUTIAE_RECORD_MEDIA_TYPE) continue;
        reads.push({
          actor: 'service:enrollment',
          action: 'fingerprints.read',
          purpose: 'duplicate-check',
          subjectId: entry.citizen_id,
          fields: ['fingerprints'],
          detail: { applicationId: entry.application_id, for: 'fingerprint-index' },
        });
        const record = parseMinutiaeRecord(stored.bytes);
        await this.db.query(
          `INSERT INTO enr_fingerprint_index (application_id, citizen_id, keys) VALUES ($1, $2, $3)
           ON CONFLICT (application_id) DO NOTHING`,
          [
            entry.application_id,
            entry.citizen_id,
            encodeKeys(keys.enrolment(record.views, record.resolutionX, this.indexing)),
          ],
        );
      }
      if (reads.length > 0) await this.audit.recordMany(reads);
    }
  }
}
