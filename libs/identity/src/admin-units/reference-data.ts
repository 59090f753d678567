import type { CalendarDate } from '../dates/calendar-date.js';
import type {
  AddressResolution,
  AdministrativeUnit,
  ProvinceResolution,
  Succession,
  UnitLevel,
  UnitRecord,
} from './administrative-unit.js';
import { AdministrativeUnits } from './administrative-units.js';
import { OFFICIAL_REFERENCE_DATA } from './official-data.js';

/** The map this library ships: the official lists of 2025-03-01, 2025-07-01 and 2026-04-30. */
export const ADMINISTRATIVE_UNITS = new AdministrativeUnits(OFFICIAL_REFERENCE_DATA);

/** `ADMINISTRATIVE_UNITS.resolveUnit`: the unit `code` named on `date`, as it was then. */
export function resolveUnit(code: string, date: CalendarDate): AdministrativeUnit | undefined {
  return ADMINISTRATIVE_UNITS.resolveUnit(code, date);
}

/** `ADMINISTRATIVE_UNITS.currentSuccessor`: where an address recorded on `recordedAt` lies today. */
export function currentSuccessor(code: string, recordedAt: CalendarDate): Succession | undefined {
  return ADMINISTRATIVE_UNITS.currentSuccessor(code, recordedAt);
}

/**
 * `ADMINISTRATIVE_UNITS.resolveAddress`: an address's commune (coded `communeCode` on
 * `recordedAt`) on today's map — `resolved`, `needs-recoding` with the candidates, or `unknown`.
 */
export function resolveAddress(
  communeCode: string,
  recordedAt: CalendarDate,
  asOf?: CalendarDate,
): AddressResolution {
  return ADMINISTRATIVE_UNITS.resolveAddress(communeCode, recordedAt, asOf);
}

/** `ADMINISTRATIVE_UNITS.resolveProvince`: a recorded province on today's map (Bình Dương → Hồ Chí Minh). */
export function resolveProvince(
  provinceCode: string,
  recordedAt: CalendarDate,
  asOf?: CalendarDate,
): ProvinceResolution {
  return ADMINISTRATIVE_UNITS.resolveProvince(provinceCode, recordedAt, asOf);
}

/** `ADMINISTRATIVE_UNITS.findByCode`: every version of `code` (or the one in force on `on`), with history and successors. */
export function findUnitsByCode(code: string, on?: CalendarDate): readonly UnitRecord[] {
  return ADMINISTRATIVE_UNITS.findByCode(code, on);
}

/** `ADMINISTRATIVE_UNITS.findByName`: units by name, diacritics, case and unit type ignored. */
export function findUnitsByName(
  query: string,
  options?: { readonly level?: UnitLevel; readonly on?: CalendarDate; readonly provinceCode?: string },
): readonly UnitRecord[] {
  return ADMINISTRATIVE_UNITS.findByName(query, options);
}

export { ADMINISTRATIVE_MAP_DATES, OFFICIAL_REFERENCE_DATA } from './official-data.js';
