import type { FieldViolation } from '@cancuoc/identity';
import { fingerName, isFingerPosition, type FingerException, type FingerPosition } from './fingers.js';
import type { MinutiaeRecord } from './iso19794-2.js';
import { checkFingerCoverage } from './ten-print.js';

/** What an enrollment accepts of a minutiae record; made a value so a deployment can tune it. */
export interface FingerprintRules {
  readonly minMinutiae: number;
  /** Finger quality (0–100) below which a print is taken again. */
  readonly minQuality: number;
  /** Accepted scan resolutions, pixels per centimetre (118 ≈ 300 ppi, 394 ≈ 1000 ppi). */
  readonly minResolution: number;
  readonly maxResolution: number;
}

export const DEFAULT_FINGERPRINT_RULES: FingerprintRules = {
  minMinutiae: 12,
  minQuality: 20,
  minResolution: 118,
  maxResolution: 394,
};

export interface AcceptedFingerprints {
  readonly fingers: readonly FingerPosition[];
  readonly violations: readonly FieldViolation[];
}

/**
 * Judges a parsed ten-print record as an operator would need it judged: each refusal names the
 * finger and what to do (capture it again, or record why it cannot be taken).
 */
export function assessFingerprints(
  record: MinutiaeRecord,
  exceptions: readonly FingerException[],
  rules: FingerprintRules = DEFAULT_FINGERPRINT_RULES,
): AcceptedFingerprints {
  const violations: FieldViolation[] = [];
  for (const resolution of [record.resolutionX, record.resolutionY]) {
    if (resolution < rules.minResolution || resolution > rules.maxResolution) {
      violations.push({
        field: 'record',
        reason: 'RESOLUTION_UNSUPPORTED',
        description: `the scanner resolution must be ${rules.minResolution}–${rules.maxResolution} pixels per centimetre (300–1000 ppi)`,
      });
      break;
    }
  }
  const fingers: FingerPosition[] = [];
  record.views.forEach((view, index) => {
    if (!isFingerPosition(view.position)) {
      violations.push({
        field: 'record',
        reason: 'FINGER_UNKNOWN',
        description: `view ${index} does not say which finger it is; every print must name its finger`,
      });
      return;
    }
    fingers.push(view.position);
    const finger = fingerName(view.position);
    if (view.minutiae.length < rules.minMinutiae) {
      violations.push({
        field: 'record',
        reason: 'FINGER_TOO_FEW_MINUTIAE',
        description: `${finger}: ${view.minutiae.length} minutiae, at least ${rules.minMinutiae} are needed; clean the finger and the scanner and capture it again`,
      });
    }
    if (view.quality < rules.minQuality) {
      violations.push({
        field: 'record',
        reason: 'FINGER_LOW_QUALITY',
        description: `${finger}: quality ${view.quality} is below ${rules.minQuality}; capture it again, or record it as unprintable`,
      });
    }
  });
  violations.push(...checkFingerCoverage(fingers, exceptions));
  return { fingers, violations };
}
