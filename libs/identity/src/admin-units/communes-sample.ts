import type { Reorganisation, UnitDefinition } from './administrative-unit.js';
import { OFFICIAL_REFERENCE_DATA } from './official-data.js';

/*
 * Kept for the names' sake: these were a hand-typed sample; they are now the full official lists
 * (generated/, from ../shared/data/admin-units). New code reads OFFICIAL_REFERENCE_DATA or asks
 * ADMINISTRATIVE_UNITS.
 */

/** Every commune, ward and township of the 2025-03-01 list (10,035), with its district. */
export const COMMUNES_BEFORE_2025: readonly UnitDefinition[] = OFFICIAL_REFERENCE_DATA.initialUnits.filter(
  (u) => u.level === 'commune',
);

/** Commune-level changes: the 2025 reform (3,321 new units) and the 2026-04-30 wards of Đồng Nai. */
export const COMMUNE_REORGANISATIONS: readonly Reorganisation[] =
  OFFICIAL_REFERENCE_DATA.reorganisations.filter((r) => r.successor.level === 'commune');
