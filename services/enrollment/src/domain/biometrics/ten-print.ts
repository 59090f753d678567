import type { FieldViolation } from '@cancuoc/identity';
import { TEN_FINGERS, fingerName, type FingerException, type FingerPosition } from './fingers.js';

/**
 * A ten-print enrollment accounts for every finger: each of the ten is either in the record or
 * recorded as an exception (missing, bandaged, unprintable), never both, never twice.
 */
export function checkFingerCoverage(
  fingers: readonly FingerPosition[],
  exceptions: readonly FingerException[],
): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const captured = new Set<FingerPosition>();
  for (const finger of fingers) {
    if (captured.has(finger)) {
      violations.push({
        field: 'record',
        reason: 'FINGER_REPEATED',
        description: `${fingerName(finger)} appears more than once in the record; keep one view per finger`,
      });
    }
    captured.add(finger);
  }
  const excused = new Set<FingerPosition>();
  for (const exception of exceptions) {
    if (captured.has(exception.finger)) {
      violations.push({
        field: 'exceptions',
        reason: 'EXCEPTION_FOR_CAPTURED_FINGER',
        description: `${fingerName(exception.finger)} is in the record and also listed as an exception`,
      });
    }
    if (excused.has(exception.finger)) {
      violations.push({
        field: 'exceptions',
        reason: 'EXCEPTION_REPEATED',
        description: `${fingerName(exception.finger)} is listed as an exception more than once`,
      });
    }
    excused.add(exception.finger);
  }
  const unaccounted = TEN_FINGERS.filter((f) => !captured.has(f) && !excused.has(f));
  if (unaccounted.length > 0) {
    violations.push({
      field: 'record',
      reason: 'FINGERS_UNACCOUNTED',
      description: `capture ${unaccounted.map(fingerName).join(', ')} or record why it cannot be taken`,
    });
  }
  return violations;
}
