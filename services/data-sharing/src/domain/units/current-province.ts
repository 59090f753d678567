import { ADMINISTRATIVE_UNITS, CalendarDate, type AdministrativeUnits } from '@cancuoc/identity';

/** Where the reference data's map begins (Hà Tây joined Hà Nội on 2008-08-01). */
const MAP_BEGINS = CalendarDate.of(2008, 8, 1);

/**
 * The province a recorded province code lies in on today's map. Events carry addresses as recorded,
 * without the date they were recorded on, and codes are reused (after 2025-07-01 `024` is the new
 * Bắc Ninh, before it Bắc Giang). Each version the code has named is followed to today's map; when
 * they all lead to one province that is the answer — in the 2025 reorganisation a new province took
 * the code of one of its own predecessors, so they do — and when they do not, or the code never
 * named a province, there is no answer: a scope filter then does not match, rather than guess.
 */
export function currentProvinceOf(
  code: string,
  units: AdministrativeUnits = ADMINISTRATIVE_UNITS,
): string | undefined {
  const found = new Set<string>();
  for (const version of units.history(code)) {
    if (version.level !== 'province') continue;
    const succession = units.currentSuccessor(code, version.validFrom ?? MAP_BEGINS);
    if (succession?.kind !== 'unit') return undefined;
    found.add(succession.unit.code);
  }
  return found.size === 1 ? [...found][0] : undefined;
}
