import { CalendarDate } from '../dates/calendar-date.js';
import type { Reorganisation, TerritoryShare, UnitDefinition } from './administrative-unit.js';

/*
 * A small, real sample of communes for tests and the seeder; the full list (about 10,000 units
 * before mid-2025, 3,321 after) belongs in a data load, not in source. Names and the pre-2025 codes
 * are the statistics office's. Which old wards formed each new one, and the new units' codes, come
 * from secondary sources and are *unverified* against the Standing Committee's resolutions. Each new
 * unit lists only the predecessors in this sample; several also took parts of wards left out here.
 */

const MID_2025 = CalendarDate.of(2025, 7, 1);

const commune = (provinceCode: string, code: string, name: string): UnitDefinition => ({
  code,
  name,
  level: 'commune',
  provinceCode,
});

const HA_NOI = '001';
const BINH_DUONG = '074';
const HO_CHI_MINH = '079';

/** Wards as they stood before 2025-07-01: Hoàn Kiếm and Ba Đình districts (Hà Nội), Thủ Dầu Một (Bình Dương). */
export const COMMUNES_BEFORE_2025: readonly UnitDefinition[] = [
  commune(HA_NOI, '00004', 'Phường Trúc Bạch'),
  commune(HA_NOI, '00013', 'Phường Quán Thánh'),
  commune(HA_NOI, '00040', 'Phường Đồng Xuân'),
  commune(HA_NOI, '00043', 'Phường Hàng Mã'),
  commune(HA_NOI, '00046', 'Phường Hàng Buồm'),
  commune(HA_NOI, '00049', 'Phường Hàng Đào'),
  commune(HA_NOI, '00052', 'Phường Hàng Bồ'),
  commune(HA_NOI, '00055', 'Phường Cửa Đông'),
  commune(HA_NOI, '00058', 'Phường Lý Thái Tổ'),
  commune(HA_NOI, '00061', 'Phường Hàng Bạc'),
  commune(HA_NOI, '00064', 'Phường Hàng Gai'),
  commune(HA_NOI, '00070', 'Phường Hàng Trống'),
  commune(HA_NOI, '00076', 'Phường Hàng Bông'),
  commune(HA_NOI, '00079', 'Phường Tràng Tiền'),
  commune(HA_NOI, '00082', 'Phường Trần Hưng Đạo'),
  commune(HA_NOI, '00085', 'Phường Phan Chu Trinh'),
  commune(HA_NOI, '00088', 'Phường Hàng Bài'),
  commune(BINH_DUONG, '25747', 'Phường Phú Cường'),
  commune(BINH_DUONG, '25753', 'Phường Phú Thọ'),
  commune(BINH_DUONG, '25756', 'Phường Chánh Nghĩa'),
];

type Shares = Readonly<Record<string, TerritoryShare>>;

function formed(successor: UnitDefinition, legalBasis: string, shares: Shares): Reorganisation {
  return {
    effectiveFrom: MID_2025,
    legalBasis,
    successor,
    predecessors: Object.entries(shares).map(([code, share]) => ({ code, share })),
  };
}

const HA_NOI_COMMUNES_2025 = 'Nghị quyết 1656/NQ-UBTVQH15'; // number *unverified*
const HO_CHI_MINH_COMMUNES_2025 = 'Nghị quyết 1685/NQ-UBTVQH15'; // number *unverified*
const COMMUNES_2025 = 'Standing Committee resolutions on the 2025 commune reorganisation';

/** New units whose predecessors this sample does not hold: enough current communes to seed with. */
const established = (provinceCode: string, code: string, name: string): Reorganisation =>
  formed(commune(provinceCode, code, name), COMMUNES_2025, {});

export const COMMUNE_REORGANISATIONS: readonly Reorganisation[] = [
  // Hoàn Kiếm takes the code of Hàng Trống (00070), which it partly absorbs: an address recorded as
  // 00070 before July 2025 is not an address in today's 00070.
  formed(commune(HA_NOI, '00070', 'Phường Hoàn Kiếm'), HA_NOI_COMMUNES_2025, {
    '00061': 'whole',
    '00052': 'whole',
    '00046': 'whole',
    '00049': 'whole',
    '00064': 'whole',
    '00043': 'whole',
    '00058': 'whole',
    '00055': 'part',
    '00040': 'part',
    '00076': 'part',
    '00070': 'part',
    '00079': 'part',
  }),
  formed(commune(HA_NOI, '00082', 'Phường Cửa Nam'), HA_NOI_COMMUNES_2025, {
    '00088': 'whole',
    '00085': 'whole',
    '00082': 'whole',
    '00076': 'part',
    '00070': 'part',
    '00079': 'part',
  }),
  formed(commune(HA_NOI, '00004', 'Phường Ba Đình'), HA_NOI_COMMUNES_2025, {
    '00013': 'whole',
    '00004': 'whole',
    '00055': 'part',
    '00040': 'part',
  }),
  // Across a province merger: Bình Dương's wards became wards of Hồ Chí Minh City.
  formed(commune(HO_CHI_MINH, '25747', 'Phường Thủ Dầu Một'), HO_CHI_MINH_COMMUNES_2025, {
    '25747': 'whole',
    '25753': 'whole',
    '25756': 'whole',
  }),
  established(HA_NOI, '00008', 'Phường Ngọc Hà'),
  established(HA_NOI, '00025', 'Phường Giảng Võ'),
  established(HO_CHI_MINH, '25750', 'Phường Phú Lợi'),
  established(HO_CHI_MINH, '25760', 'Phường Bình Dương'),
  established(HO_CHI_MINH, '25768', 'Phường Phú An'),
  established(HO_CHI_MINH, '25771', 'Phường Chánh Hiệp'),
  established('015', '02647', 'Phường Lào Cai'),
  established('015', '02671', 'Phường Cam Đường'),
  established('015', '03006', 'Phường Sa Pa'),
  established('015', '04252', 'Phường Yên Bái'),
  established('091', '30292', 'Phường Bình Đức'),
  established('091', '30307', 'Phường Long Xuyên'),
  established('091', '30316', 'Phường Châu Đốc'),
  established('091', '30325', 'Phường Vĩnh Tế'),
  established('091', '30337', 'Xã An Phú'),
  established('092', '31120', 'Phường Cái Khế'),
  established('092', '31135', 'Phường Ninh Kiều'),
  established('092', '31147', 'Phường Tân An'),
  established('092', '31150', 'Phường An Bình'),
  established('092', '31153', 'Phường Ô Môn'),
];
