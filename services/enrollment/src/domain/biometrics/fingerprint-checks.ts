import type { FieldViolation } from '@cancuoc/identity';
import { fingerName, isFingerPosition, type FingerException, type FingerPosition } from './fingers.js';
import type { DecodedImage } from './face-checks.js';
import { luminanceStatistics } from './image-statistics.js';
import type { MinutiaeRecord } from './iso19794-2.js';
import type { FingerImageRecord } from './iso19794-4.js';
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

/** What finger images must be, beside the record-level rules above. */
export interface FingerImageRules {
  /** Smallest side of a print, in centimetres of the finger (1.27 is half an inch). */
  readonly minSideCm: number;
  /** Standard deviation of luminance below which the image holds no ridges (0–255). */
  readonly minContrast: number;
}

export const DEFAULT_FINGER_IMAGE_RULES: FingerImageRules = { minSideCm: 1.27, minContrast: 20 };

/** A finger image as the caller decoded it, or `unreadable`. */
export type DecodedFingerImage = DecodedImage | 'unreadable';

const ACCEPTED_COMPRESSIONS = new Set(['uncompressed', 'jpeg', 'jpeg2000', 'png']);

/**
 * Judges a finger image record (ISO/IEC 19794-4) after its images were decoded: a format this
 * service can read, the scanner resolution, and per finger an image that decodes to the size its
 * header states, covers enough of the finger and shows ridges; then the ten-finger coverage.
 */
export function assessFingerImages(
  record: FingerImageRecord,
  decoded: readonly DecodedFingerImage[],
  exceptions: readonly FingerException[],
  rules: FingerprintRules = DEFAULT_FINGERPRINT_RULES,
  imageRules: FingerImageRules = DEFAULT_FINGER_IMAGE_RULES,
): AcceptedFingerprints {
  const violations: FieldViolation[] = [];
  const add = (reason: string, description: string) =>
    violations.push({ field: 'record', reason, description });
  if (
    !ACCEPTED_COMPRESSIONS.has(record.compression) ||
    (record.compression === 'uncompressed' && record.pixelDepth !== 8)
  ) {
    add(
      'FINGER_IMAGE_FORMAT_UNSUPPORTED',
      'finger images are accepted as PNG, JPEG 2000, JPEG or uncompressed 8-bit grey; export them in one of these',
    );
    return { fingers: [], violations };
  }
  if (
    [record.resolutionX, record.resolutionY].some((r) => r < rules.minResolution || r > rules.maxResolution)
  ) {
    add(
      'RESOLUTION_UNSUPPORTED',
      `the scanner resolution must be ${rules.minResolution}–${rules.maxResolution} pixels per centimetre (300–1000 ppi)`,
    );
  }
  const minSide = Math.round(imageRules.minSideCm * Math.min(record.resolutionX, record.resolutionY));
  const fingers: FingerPosition[] = [];
  record.images.forEach((image, index) => {
    if (!isFingerPosition(image.position)) {
      add('FINGER_UNKNOWN', `image ${index} is not of one named finger; every print must name its finger`);
      return;
    }
    fingers.push(image.position);
    const finger = fingerName(image.position);
    const picture = decoded[index];
    if (!picture || picture === 'unreadable') {
      add('FINGER_IMAGE_UNREADABLE', `${finger}: the image cannot be decoded; capture it again`);
      return;
    }
    if (picture.width !== image.width || picture.height !== image.height) {
      add(
        'FINGER_IMAGE_SIZE_MISMATCH',
        `${finger}: the image is not the size its header states; export it again`,
      );
    }
    if (Math.min(picture.width, picture.height) < minSide) {
      add(
        'FINGER_IMAGE_TOO_SMALL',
        `${finger}: the print covers too little of the finger; place the whole fingertip on the scanner`,
      );
    }
    if (luminanceStatistics(picture.luminance).deviation < imageRules.minContrast) {
      add(
        'FINGER_IMAGE_BLANK',
        `${finger}: no ridges can be seen; clean the finger and the scanner and capture it again`,
      );
    }
    if (image.quality < rules.minQuality) {
      add(
        'FINGER_LOW_QUALITY',
        `${finger}: quality ${image.quality} is below ${rules.minQuality}; capture it again, or record it as unprintable`,
      );
    }
  });
  violations.push(...checkFingerCoverage(fingers, exceptions));
  return { fingers, violations };
}
