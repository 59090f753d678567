import { day, ReferenceList, type ReferenceEntry } from './reference-list.js';

/**
 * The 54 ethnic groups of Viet Nam (dân tộc) with the statistics office's codes, Decision
 * 1019/QĐ-TCTK of 12 November 2008 (Danh mục các dân tộc Việt Nam), which ordered the groups of the
 * 1979 list (121-TCTK/PPCĐ) by the 1999 census. Names are written as the 2019 census publishes them
 * (Khmer, Mông, Ra Glai); the 2008 list's spellings (Khơ me, H'mông, Ra-glai, …) and common
 * variants are aliases. The list's codes 55 (foreigners) and 99 (unknown) are not groups and are
 * not held: a citizen's record names one of the 54.
 */
const GSO_2008: readonly ReferenceEntry[] = [
  { code: '01', name: 'Kinh', aliases: ['Việt', 'Kinh (Việt)'] },
  { code: '02', name: 'Tày' },
  { code: '03', name: 'Thái' },
  { code: '04', name: 'Mường' },
  { code: '05', name: 'Khmer', aliases: ['Khơ Me', 'Khơ-me Krôm'] },
  { code: '06', name: 'Hoa', aliases: ['Hoa (Hán)', 'Hán'] },
  { code: '07', name: 'Nùng' },
  { code: '08', name: 'Mông', aliases: ["H'Mông", 'Hmông', 'Mèo'] },
  { code: '09', name: 'Dao' },
  { code: '10', name: 'Gia Rai', aliases: ['Jrai', 'Giơ Rai'] },
  { code: '11', name: 'Ê Đê', aliases: ['Ra Đê', 'Rhade'] },
  { code: '12', name: 'Ba Na', aliases: ['Bahnar'] },
  { code: '13', name: 'Sán Chay', aliases: ['Cao Lan-Sán Chỉ', 'Sán Cháy'] },
  { code: '14', name: 'Chăm', aliases: ['Chàm'] },
  { code: '15', name: 'Cơ Ho', aliases: ['Koho'] },
  { code: '16', name: 'Xơ Đăng', aliases: ['Sedang'] },
  { code: '17', name: 'Sán Dìu' },
  { code: '18', name: 'Hrê' },
  { code: '19', name: 'Ra Glai', aliases: ['Raglay', 'Ra Glay'] },
  { code: '20', name: 'Mnông', aliases: ["M'Nông"] },
  { code: '21', name: 'Thổ' },
  { code: '22', name: 'Xtiêng', aliases: ["X'Tiêng", 'Stiêng'] },
  { code: '23', name: 'Khơ Mú', aliases: ['Khmu'] },
  { code: '24', name: 'Bru Vân Kiều' },
  { code: '25', name: 'Cơ Tu', aliases: ['Katu'] },
  { code: '26', name: 'Giáy' },
  { code: '27', name: 'Tà Ôi' },
  { code: '28', name: 'Mạ' },
  { code: '29', name: 'Giẻ Triêng', aliases: ['Gié Triêng'] },
  { code: '30', name: 'Co' },
  { code: '31', name: 'Chơ Ro' },
  { code: '32', name: 'Xinh Mun' },
  { code: '33', name: 'Hà Nhì' },
  { code: '34', name: 'Chu Ru' },
  { code: '35', name: 'Lào' },
  { code: '36', name: 'La Chí' },
  { code: '37', name: 'Kháng' },
  { code: '38', name: 'Phù Lá' },
  { code: '39', name: 'La Hủ' },
  { code: '40', name: 'La Ha' },
  { code: '41', name: 'Pà Thẻn' },
  { code: '42', name: 'Lự' },
  { code: '43', name: 'Ngái' },
  { code: '44', name: 'Chứt' },
  { code: '45', name: 'Lô Lô' },
  { code: '46', name: 'Mảng' },
  { code: '47', name: 'Cơ Lao', aliases: ['Cờ Lao'] },
  { code: '48', name: 'Bố Y' },
  { code: '49', name: 'Cống' },
  { code: '50', name: 'Si La' },
  { code: '51', name: 'Pu Péo' },
  { code: '52', name: 'Rơ Măm' },
  { code: '53', name: 'Brâu' },
  { code: '54', name: 'Ơ Đu' },
];

/**
 * Ethnic groups the register accepts (dân tộc): a group's code (`08`), its name or a known spelling
 * of it, matched by `referenceKey` (`gia-rai`, `Gia Rai`, `H'Mông`); the register stores the name.
 */
export const ETHNIC_GROUPS = new ReferenceList(
  'ethnicity',
  [
    {
      version: '1019/QĐ-TCTK (2008)',
      validFrom: day('2008-11-12'),
      source:
        'General Statistics Office, Decision 1019/QĐ-TCTK of 12 November 2008, list of ethnic groups; names as in the 2019 census',
      entries: GSO_2008,
    },
  ],
  'code-or-name',
);
