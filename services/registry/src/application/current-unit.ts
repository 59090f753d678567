import { ADMINISTRATIVE_UNITS, CalendarDate } from '@cancuoc/identity';
import type { CitizenRecord } from '../domain/citizen/state.js';

/**
 * The units a record's permanent residence lies in today: an address recorded before a merger
 * resolves to its successor, without rewriting the recorded address. A divided commune cannot be
 * resolved from its code alone; the record is then flagged for re-coding.
 */
export function currentCommune(record: Pick<CitizenRecord, 'permanentResidence'>): {
  provinceCode: string | null;
  communeCode: string | null;
  needsRecoding: boolean;
} {
  const residence = record.permanentResidence;
  if (!residence) return { provinceCode: null, communeCode: null, needsRecoding: false };
  const succession = ADMINISTRATIVE_UNITS.currentSuccessor(
    residence.communeCode,
    CalendarDate.parse(residence.since),
  );
  if (succession?.kind === 'unit') {
    return {
      provinceCode: succession.unit.provinceCode ?? null,
      communeCode: succession.unit.code,
      needsRecoding: false,
    };
  }
  const province = ADMINISTRATIVE_UNITS.currentSuccessor(
    residence.provinceCode,
    CalendarDate.parse(residence.since),
  );
  return {
    provinceCode: province?.kind === 'unit' ? province.unit.code : null,
    communeCode: null,
    needsRecoding: true,
  };
}
