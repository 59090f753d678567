import type { FieldViolation } from '@cancuoc/identity';
import { luminanceStatistics } from './image-statistics.js';

/** A decoded portrait: its size and one luminance byte per pixel, row by row. */
export interface DecodedImage {
  readonly mediaType: string;
  readonly width: number;
  readonly height: number;
  readonly luminance: Uint8Array;
}

/**
 * What a card portrait must be. Defaults: at least 240 × 320 pixels (the ISO/IEC 19794-5 token
 * frontal image the chip's DG2 carries), portrait between 1.2 and 1.4 high per wide (ICAO 35 × 45 mm
 * is 1.29, the token image 1.33), and exposed so that the face can be seen.
 */
export interface FaceRules {
  readonly minWidth: number;
  readonly minHeight: number;
  readonly minAspect: number;
  readonly maxAspect: number;
  /** Standard deviation of luminance below which the image carries no picture (0–255 scale). */
  readonly minContrast: number;
  readonly minMeanLuminance: number;
  readonly maxMeanLuminance: number;
}

export const DEFAULT_FACE_RULES: FaceRules = {
  minWidth: 240,
  minHeight: 320,
  minAspect: 1.2,
  maxAspect: 1.4,
  minContrast: 12,
  minMeanLuminance: 40,
  maxMeanLuminance: 220,
};

/** Every reason the portrait cannot go on a card, each saying what the operator should do. */
export function assessFace(image: DecodedImage, rules: FaceRules = DEFAULT_FACE_RULES): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const add = (reason: string, description: string) =>
    violations.push({ field: 'image', reason, description });
  if (image.width < rules.minWidth || image.height < rules.minHeight) {
    add(
      'FACE_TOO_SMALL',
      `the portrait is ${image.width} × ${image.height} pixels; at least ${rules.minWidth} × ${rules.minHeight} are needed — use the camera's full resolution`,
    );
  }
  const aspect = image.height / image.width;
  if (aspect < rules.minAspect || aspect > rules.maxAspect) {
    add(
      'FACE_ASPECT_RATIO',
      `the portrait is ${aspect.toFixed(2)} times as high as wide; crop it to portrait format (${rules.minAspect}–${rules.maxAspect}, e.g. 3:4)`,
    );
  }
  if (image.luminance.length === 0) {
    add('FACE_BLANK', 'the image has no pixels; capture it again');
    return violations;
  }
  const { mean, deviation } = luminanceStatistics(image.luminance);
  if (deviation < rules.minContrast) {
    add(
      'FACE_BLANK',
      'the image is blank or one flat colour; check the camera and the lighting and capture again',
    );
  } else if (mean < rules.minMeanLuminance) {
    add('FACE_UNDEREXPOSED', 'the portrait is too dark; light the face evenly and capture again');
  } else if (mean > rules.maxMeanLuminance) {
    add(
      'FACE_OVEREXPOSED',
      'the portrait is too bright; reduce the lighting or the exposure and capture again',
    );
  }
  return violations;
}
