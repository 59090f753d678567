/**
 * Fingers by ISO/IEC 19794-2 finger position codes (Table 2 of the 2005 edition): 1–5 the right
 * hand from thumb to little finger, 6–10 the left. 0 ("unknown finger") is not accepted in a
 * ten-print enrollment, where every print must say which finger it is.
 */
export const FINGER_NAMES = [
  'RIGHT_THUMB',
  'RIGHT_INDEX',
  'RIGHT_MIDDLE',
  'RIGHT_RING',
  'RIGHT_LITTLE',
  'LEFT_THUMB',
  'LEFT_INDEX',
  'LEFT_MIDDLE',
  'LEFT_RING',
  'LEFT_LITTLE',
] as const;

export type FingerName = (typeof FINGER_NAMES)[number];

/** 1 (right thumb) to 10 (left little finger). */
export type FingerPosition = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

export const TEN_FINGERS: readonly FingerPosition[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

export function isFingerPosition(value: number): value is FingerPosition {
  return Number.isInteger(value) && value >= 1 && value <= 10;
}

export function fingerName(position: FingerPosition): FingerName {
  return FINGER_NAMES[position - 1]!;
}

/** Why a finger is not in the record. */
export type FingerExceptionReason = 'missing' | 'bandaged' | 'unprintable';

export interface FingerException {
  readonly finger: FingerPosition;
  readonly reason: FingerExceptionReason;
}

/** `RIGHT_THUMB:BANDAGED`, the form integration events carry. */
export function describeException(exception: FingerException): string {
  return `${fingerName(exception.finger)}:${exception.reason.toUpperCase()}`;
}
