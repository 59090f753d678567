import type { SqlExecutor } from '@cancuoc/eventstore';
import type { DuplicateCandidate } from '../../domain/application/events.js';
import { MINUTIAE_RECORD_MEDIA_TYPE, parseMinutiaeRecord } from '../../domain/biometrics/iso19794-2.js';
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
} from '../../application/ports.js';

/** Stages whose fingerprints count as enrolled: the duplicate check ran and did not reject them. */
const GALLERY_STAGES = ['adjudication', 'review', 'submitted', 'completed'];
/** Gallery entries read and decrypted per query. */
const GALLERY_PAGE = 200;

/**
 * The built-in 1:N matcher: compares the probe with the latest enrolled ten-print of every other
 * citizen in enrollment's own database, decrypting each (and auditing each read), by minutiae
 * pairing (`compareTenPrints`), reading the gallery a page at a time. It is linear in the gallery, fit for the embedded mode, development
 * and small deployments; a national deployment puts an ABIS behind `DuplicateMatcher` instead.
 * People whose biometrics were erased cannot be compared and are left out.
 */
export class BuiltInMatcher implements DuplicateMatcher {
  readonly name = 'built-in-minutiae';
  /** It compares minutiae; finger images would need a minutiae extractor, which an ABIS has. */
  readonly comparesImages = false;

  constructor(
    private readonly db: SqlExecutor,
    private readonly vault: BiometricVault,
    private readonly audit: AuditTrail,
    private readonly parameters: MatchingParameters = DEFAULT_MATCHING,
  ) {}

  async search(probe: DuplicateProbe): Promise<DuplicateSearchResult> {
    if (probe.prints.kind !== 'minutiae')
      throw new Error('the built-in matcher compares minutiae records only');
    const record = probe.prints.record;
    const gallery = await this.db.query<{
      application_id: string;
      citizen_id: string;
      fingerprints_ref: string;
    }>(
      `SELECT DISTINCT ON (citizen_id) application_id, citizen_id, fingerprints_ref FROM enr_applications
       WHERE fingerprints_ref IS NOT NULL AND citizen_id IS NOT NULL AND citizen_id <> $1 AND stage = ANY ($2)
       ORDER BY citizen_id, started_at DESC`,
      [probe.citizenId, GALLERY_STAGES],
    );
    const resolution = record.resolutionX;
    const candidates: DuplicateCandidate[] = [];
    const reads: AuditedAccess[] = [];
    let compared = 0;
    for (let page = 0; page < gallery.length; page += GALLERY_PAGE) {
      const entries = gallery.slice(page, page + GALLERY_PAGE);
      const objects = await this.vault.readMany(
        this.db,
        entries.map((entry) => entry.fingerprints_ref),
      );
      for (const entry of entries) {
        const stored = objects.get(entry.fingerprints_ref);
        if (stored === undefined || stored === 'destroyed') continue;
        // Enrolled with finger images (through an ABIS that compares them): no minutiae to compare.
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
        compared++;
        const result = compareTenPrints(
          { views: record.views, resolution },
          { views: reference.views, resolution: reference.resolutionX },
          this.parameters,
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
    }
    if (reads.length > 0) await this.audit.recordMany(reads);
    candidates.sort((a, b) => b.score - a.score);
    return { comparedWith: compared, candidates };
  }
}
