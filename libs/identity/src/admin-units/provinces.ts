import type { Reorganisation, UnitDefinition } from './administrative-unit.js';
import { OFFICIAL_REFERENCE_DATA } from './official-data.js';

/**
 * The 63 provinces and centrally governed cities before the 2025 reform, as the 2025-03-01 list
 * names them, with the codes of Circular 07/2016/TT-BCA, Appendix 1 (the prefix of every personal
 * identification number: GSO's two-digit code with a leading 0). Huế is Thừa Thiên Huế here, as
 * it was until 2025-01-01.
 */
export const PROVINCES_BEFORE_2025: readonly UnitDefinition[] = OFFICIAL_REFERENCE_DATA.initialUnits.filter(
  (u) => u.level === 'province',
);

/**
 * Province-level changes, oldest first: Huế (2025-01-01), the 2025 mergers (Resolution
 * 202/2025/QH15; each new province took the code of the predecessor hosting its centre, Decision
 * 19/2025/QĐ-TTg), Đồng Nai becoming a centrally governed city (2026-04-30). The eleven provinces
 * the 2025 resolution left as they were have no entry: their versions stay in force.
 */
export const PROVINCE_REORGANISATIONS: readonly Reorganisation[] =
  OFFICIAL_REFERENCE_DATA.reorganisations.filter((r) => r.successor.level === 'province');
