import { CalendarDate } from '../dates/calendar-date.js';
import type { Reorganisation, UnitDefinition } from './administrative-unit.js';

const province = (code: string, name: string): UnitDefinition => ({ code, name, level: 'province' });

/**
 * The 63 provinces and centrally governed cities, with the codes of Circular 07/2016/TT-BCA,
 * Appendix 1 (the prefix of every personal identification number). This map dates from 2008-08-01
 * (Hà Tây joined Hà Nội); the register needs no older one, so these versions are open-ended backwards.
 */
export const PROVINCES_BEFORE_2025: readonly UnitDefinition[] = [
  province('001', 'Hà Nội'),
  province('002', 'Hà Giang'),
  province('004', 'Cao Bằng'),
  province('006', 'Bắc Kạn'),
  province('008', 'Tuyên Quang'),
  province('010', 'Lào Cai'),
  province('011', 'Điện Biên'),
  province('012', 'Lai Châu'),
  province('014', 'Sơn La'),
  province('015', 'Yên Bái'),
  province('017', 'Hòa Bình'),
  province('019', 'Thái Nguyên'),
  province('020', 'Lạng Sơn'),
  province('022', 'Quảng Ninh'),
  province('024', 'Bắc Giang'),
  province('025', 'Phú Thọ'),
  province('026', 'Vĩnh Phúc'),
  province('027', 'Bắc Ninh'),
  province('030', 'Hải Dương'),
  province('031', 'Hải Phòng'),
  province('033', 'Hưng Yên'),
  province('034', 'Thái Bình'),
  province('035', 'Hà Nam'),
  province('036', 'Nam Định'),
  province('037', 'Ninh Bình'),
  province('038', 'Thanh Hóa'),
  province('040', 'Nghệ An'),
  province('042', 'Hà Tĩnh'),
  province('044', 'Quảng Bình'),
  province('045', 'Quảng Trị'),
  province('046', 'Thừa Thiên Huế'),
  province('048', 'Đà Nẵng'),
  province('049', 'Quảng Nam'),
  province('051', 'Quảng Ngãi'),
  province('052', 'Bình Định'),
  province('054', 'Phú Yên'),
  province('056', 'Khánh Hòa'),
  province('058', 'Ninh Thuận'),
  province('060', 'Bình Thuận'),
  province('062', 'Kon Tum'),
  province('064', 'Gia Lai'),
  province('066', 'Đắk Lắk'),
  province('067', 'Đắk Nông'),
  province('068', 'Lâm Đồng'),
  province('070', 'Bình Phước'),
  province('072', 'Tây Ninh'),
  province('074', 'Bình Dương'),
  province('075', 'Đồng Nai'),
  province('077', 'Bà Rịa–Vũng Tàu'),
  province('079', 'Hồ Chí Minh'),
  province('080', 'Long An'),
  province('082', 'Tiền Giang'),
  province('083', 'Bến Tre'),
  province('084', 'Trà Vinh'),
  province('086', 'Vĩnh Long'),
  province('087', 'Đồng Tháp'),
  province('089', 'An Giang'),
  province('091', 'Kiên Giang'),
  province('092', 'Cần Thơ'),
  province('093', 'Hậu Giang'),
  province('094', 'Sóc Trăng'),
  province('095', 'Bạc Liêu'),
  province('096', 'Cà Mau'),
];

const RESOLUTION_202 = 'Nghị quyết 202/2025/QH15';
const MID_2025 = CalendarDate.of(2025, 7, 1);

/**
 * Which provinces formed each new one. The groupings and surviving names are those of Resolution
 * 202/2025/QH15 (adopted 2025-06-12, in force 2025-07-01). Each new province takes the code of the
 * predecessor that hosts its administrative centre (Decision 19/2025/QĐ-TTg); those codes are taken
 * from secondary sources, *unverified* against the decision's own table.
 */
function merged(code: string, name: string, predecessorCodes: readonly string[]): Reorganisation {
  return {
    effectiveFrom: MID_2025,
    legalBasis: RESOLUTION_202,
    successor: province(code, name),
    predecessors: predecessorCodes.map((c) => ({ code: c, share: 'whole' })),
  };
}

/**
 * Province-level changes since 2008, oldest first. The eleven provinces the 2025 resolution left as
 * they were (Hà Nội, Huế, Cao Bằng, Điện Biên, Hà Tĩnh, Lai Châu, Lạng Sơn, Nghệ An, Quảng Ninh,
 * Thanh Hóa, Sơn La) have no entry: their versions simply stay in force.
 */
export const PROVINCE_REORGANISATIONS: readonly Reorganisation[] = [
  {
    // Thừa Thiên Huế became Huế, a centrally governed city (Resolution 1314/NQ-UBTVQH15).
    effectiveFrom: CalendarDate.of(2025, 1, 1),
    legalBasis: 'Nghị quyết 1314/NQ-UBTVQH15',
    successor: province('046', 'Huế'),
    predecessors: [{ code: '046', share: 'whole' }],
  },
  merged('008', 'Tuyên Quang', ['002', '008']),
  merged('015', 'Lào Cai', ['010', '015']),
  merged('019', 'Thái Nguyên', ['006', '019']),
  merged('025', 'Phú Thọ', ['017', '025', '026']),
  merged('024', 'Bắc Ninh', ['024', '027']),
  merged('033', 'Hưng Yên', ['033', '034']),
  merged('031', 'Hải Phòng', ['030', '031']),
  merged('037', 'Ninh Bình', ['035', '036', '037']),
  merged('044', 'Quảng Trị', ['044', '045']),
  merged('048', 'Đà Nẵng', ['048', '049']),
  merged('051', 'Quảng Ngãi', ['051', '062']),
  merged('052', 'Gia Lai', ['052', '064']),
  merged('056', 'Khánh Hòa', ['056', '058']),
  merged('068', 'Lâm Đồng', ['060', '067', '068']),
  merged('066', 'Đắk Lắk', ['054', '066']),
  merged('079', 'Hồ Chí Minh', ['074', '077', '079']),
  merged('075', 'Đồng Nai', ['070', '075']),
  merged('080', 'Tây Ninh', ['072', '080']),
  merged('092', 'Cần Thơ', ['092', '093', '094']),
  merged('086', 'Vĩnh Long', ['083', '084', '086']),
  merged('082', 'Đồng Tháp', ['082', '087']),
  merged('096', 'Cà Mau', ['095', '096']),
  merged('091', 'An Giang', ['089', '091']),
];
