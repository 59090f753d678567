import type { CalendarDate } from '../dates/calendar-date.js';
import type { AdministrativeUnit, Succession } from './administrative-unit.js';
import { AdministrativeUnits } from './administrative-units.js';
import { COMMUNE_REORGANISATIONS, COMMUNES_BEFORE_2025 } from './communes-sample.js';
import { PROVINCE_REORGANISATIONS, PROVINCES_BEFORE_2025 } from './provinces.js';

/** The map this library ships: every province, and the commune sample. */
export const ADMINISTRATIVE_UNITS = new AdministrativeUnits({
  initialUnits: [...PROVINCES_BEFORE_2025, ...COMMUNES_BEFORE_2025],
  reorganisations: [...PROVINCE_REORGANISATIONS, ...COMMUNE_REORGANISATIONS],
});

/** `ADMINISTRATIVE_UNITS.resolveUnit`: the unit `code` named on `date`, as it was then. */
export function resolveUnit(code: string, date: CalendarDate): AdministrativeUnit | undefined {
  return ADMINISTRATIVE_UNITS.resolveUnit(code, date);
}

/** `ADMINISTRATIVE_UNITS.currentSuccessor`: where an address recorded on `recordedAt` lies today. */
export function currentSuccessor(code: string, recordedAt: CalendarDate): Succession | undefined {
  return ADMINISTRATIVE_UNITS.currentSuccessor(code, recordedAt);
}
