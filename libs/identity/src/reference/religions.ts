import { day, ReferenceList, type ReferenceEntry } from './reference-list.js';

/**
 * `00`, no religion: what most records hold. The statistics office's list has no entry for it; the
 * code is the register's own.
 */
const NONE: ReferenceEntry = { code: '00', name: 'Không', aliases: ['Không tôn giáo', 'Không có'] };

/**
 * The statistics office's list of religions, Decision 1019/QĐ-TCTK of 12 November 2008 (Danh mục
 * tôn giáo Việt Nam), with its codes. Cơ đốc Phục lâm (Seventh-day Adventists) was then one of the
 * Tin Lành organisations.
 */
const GSO_2008: readonly ReferenceEntry[] = [
  NONE,
  { code: '01', name: 'Phật giáo', aliases: ['Đạo Phật'] },
  { code: '02', name: 'Công giáo', aliases: ['Thiên Chúa giáo', 'Đạo Thiên Chúa'] },
  { code: '03', name: 'Phật giáo Hòa Hảo', aliases: ['Hòa Hảo'] },
  { code: '04', name: 'Hồi giáo', aliases: ['Islam'] },
  { code: '05', name: 'Cao Đài', aliases: ['Đạo Cao Đài'] },
  { code: '06', name: 'Minh Sư Đạo' },
  { code: '07', name: 'Minh Lý Đạo', aliases: ['Minh Lý Đạo - Tam Tông Miếu'] },
  { code: '08', name: 'Tin Lành', aliases: ['Đạo Tin Lành'] },
  { code: '09', name: 'Tịnh độ Cư sĩ Phật hội Việt Nam' },
  { code: '10', name: 'Tứ Ân Hiếu Nghĩa', aliases: ['Đạo Tứ Ân Hiếu Nghĩa'] },
  { code: '11', name: 'Bửu Sơn Kỳ Hương' },
  { code: '12', name: "Baha'i", aliases: ["Đạo Baha'i", "Ba Ha'i"] },
  { code: '13', name: 'Bà La Môn', aliases: ['Chăm Bà La Môn'] },
];

/**
 * Mặc Môn (the Church of Jesus Christ of Latter-day Saints), added to the list after the
 * Government Committee for Religious Affairs recognised its provisional representative board
 * (Decision 132/QĐ-TGCP, 30 May 2014).
 */
const GSO_2014: readonly ReferenceEntry[] = [
  ...GSO_2008,
  {
    code: '14',
    name: 'Mặc Môn',
    aliases: ['Giáo hội Các Thánh hữu Ngày sau của Chúa Giêsu Kytô'],
  },
];

/**
 * The 16 religions the State recognises (Government Committee for Religious Affairs' list of
 * religious organisations, as of November 2018): the 2014 list with Phật hội Hiếu Nghĩa Tà Lơn
 * and Cơ đốc Phục lâm as religions of their own. Their codes 15 and 16 are the register's
 * (*unverified*: no statistics-office code for them was found), as is the date this version takes
 * effect: change either here, as a new version, when an official text gives them.
 */
const RECOGNISED_2018: readonly ReferenceEntry[] = [
  ...GSO_2014,
  { code: '15', name: 'Phật hội Hiếu Nghĩa Tà Lơn', aliases: ['Hiếu Nghĩa Tà Lơn'] },
  { code: '16', name: 'Cơ đốc Phục lâm', aliases: ['Giáo hội Cơ đốc Phục lâm Việt Nam', 'Phục Lâm'] },
];

/**
 * Religions the register accepts (tôn giáo): a code, the name or a known spelling, matched by
 * `referenceKey` (`Phat giao`, `phật giáo`), stored as the name; `Không` for none.
 */
export const RELIGIONS = new ReferenceList(
  'religion',
  [
    {
      version: '1019/QĐ-TCTK (2008)',
      validFrom: day('2008-11-12'),
      source: 'General Statistics Office, Decision 1019/QĐ-TCTK of 12 November 2008, list of religions',
      entries: GSO_2008,
    },
    {
      version: '132/QĐ-TGCP (2014)',
      validFrom: day('2014-05-30'),
      source: 'The 2008 list with Mặc Môn, Decision 132/QĐ-TGCP of 30 May 2014',
      entries: GSO_2014,
    },
    {
      version: '16 recognised religions (2018)',
      validFrom: day('2018-11-01'),
      source:
        'Government Committee for Religious Affairs, recognised religions as of 1 November 2018 (codes 15, 16 and the date unverified)',
      entries: RECOGNISED_2018,
    },
  ],
  'code-or-name',
);
