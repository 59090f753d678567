import { CalendarDate } from '../dates/calendar-date.js';
import type { AdministrativeReferenceData, Reorganisation } from './administrative-unit.js';
import { MAP_2025_03_01 } from './generated/map-2025-03-01.js';
import { MAP_2025_07_01 } from './generated/map-2025-07-01.js';
import { MAP_2026_04_30 } from './generated/map-2026-04-30.js';
import { SUCCESSION_2025 } from './generated/succession-2025.js';
import { referenceDataFromPublished } from './published-data.js';

/**
 * The official lists this library ships (committed by the generator, see `generated/`): the map in
 * force from each of these days. The oldest is read as in force since before it: the register
 * needs older addresses read somehow, and the data holds nothing older (a commune merged away
 * before 2025-03-01 is unknown here).
 */
export const ADMINISTRATIVE_MAP_DATES: readonly CalendarDate[] = [
  MAP_2025_03_01,
  MAP_2025_07_01,
  MAP_2026_04_30,
].map((m) => CalendarDate.parse(m.validFrom));

const PUBLISHED = referenceDataFromPublished(
  [MAP_2025_03_01, MAP_2025_07_01, MAP_2026_04_30],
  [SUCCESSION_2025],
);

/** Before the oldest list: Thừa Thiên Huế became Huế, a centrally governed city (Resolution 1314/NQ-UBTVQH15). */
const HUE_2025: Reorganisation = {
  effectiveFrom: CalendarDate.of(2025, 1, 1),
  legalBasis: 'Nghị quyết 1314/NQ-UBTVQH15',
  successor: { code: '046', name: 'Huế', fullName: 'Thành phố Huế', level: 'province' },
  predecessors: [{ code: '046', share: 'whole' }],
};

/**
 * Every province, district and commune of the three official lists as versions: the 2025-03-01
 * map, the 2025 reform (34 provinces; each commune re-established, divided or dissolved by the
 * succession the generator matched), the 2026-04-30 changes (Đồng Nai), and the one earlier change
 * known by hand (Huế, 2025-01-01).
 */
export const OFFICIAL_REFERENCE_DATA: AdministrativeReferenceData = {
  initialUnits: PUBLISHED.initialUnits.map((u) =>
    u.level === 'province' && u.code === '046'
      ? { ...u, name: 'Thừa Thiên Huế', fullName: 'Tỉnh Thừa Thiên Huế' }
      : u,
  ),
  reorganisations: [HUE_2025, ...PUBLISHED.reorganisations],
  dissolutions: PUBLISHED.dissolutions ?? [],
  districts: PUBLISHED.districts ?? [],
};
