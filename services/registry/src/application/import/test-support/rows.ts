import { COLUMNS, type Column } from '../columns.js';

export type Row = Record<Column, string>;

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Vũ', 'Đặng', 'Bùi'];
const MIDDLE = ['Văn', 'Thị', 'Đức', 'Minh', 'Thu', ''];
const GIVEN = ['An', 'Bình', 'Chi', 'Dũng', 'Hà', 'Lan', 'Nam', 'Thảo', 'Tuấn', 'Yến'];
/** Wards of Hà Nội before July 2025: valid birth places for anyone born before then. */
const OLD_WARDS = ['00004', '00013', '00040', '00043', '00046', '00049', '00052', '00058', '00061', '00064'];
/** Wards of Hà Nội today. */
const WARDS_NOW = ['00070', '00082', '00004', '00008', '00025'];

/**
 * A valid row for person `i` (unique for i < 1,000,000): born in Hà Nội between 1950 and 1999, so the
 * number begins 001, then the 1900s century-and-sex digit and the year.
 */
export function citizenRow(i: number, overrides: Partial<Row> = {}): Row {
  const male = i % 2 === 0;
  const year = 1950 + (i % 50);
  const birthDate = `${year}-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`;
  return {
    personal_id: `001${male ? 0 : 1}${String(year % 100).padStart(2, '0')}${String(i).padStart(6, '0')}`,
    family_name: FAMILY[i % FAMILY.length]!,
    middle_name: MIDDLE[i % MIDDLE.length]!,
    given_name: GIVEN[i % GIVEN.length]!,
    birth_date: birthDate,
    sex: male ? 'male' : 'female',
    nationality: 'VNM',
    ethnicity: 'Kinh',
    religion: 'Không',
    birth_province: '001',
    birth_commune: OLD_WARDS[i % OLD_WARDS.length]!,
    home_town_province: '001',
    home_town_commune: OLD_WARDS[(i + 3) % OLD_WARDS.length]!,
    residence_province: '001',
    residence_commune: WARDS_NOW[i % WARDS_NOW.length]!,
    residence_detail: `${(i % 200) + 1} Hàng Bạc`,
    father_personal_id: '',
    mother_personal_id: '',
    ...overrides,
  };
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function toCsv(rows: readonly Row[], columns: readonly Column[] = COLUMNS): string {
  const lines = [columns.join(','), ...rows.map((r) => columns.map((c) => csvField(r[c])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

export function toNdjson(rows: readonly Partial<Row>[]): string {
  return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
}

/**
 * A valid row for person `i` (unique for i < 1,000,000) of `sex`, born on `birthDate` (in the
 * 1900s, in Hà Nội): the number agrees with both.
 */
export function personRow(
  i: number,
  sex: 'male' | 'female',
  birthDate: string,
  overrides: Partial<Row> = {},
): Row {
  const yy = birthDate.slice(2, 4);
  return citizenRow(i, {
    personal_id: `001${sex === 'male' ? 0 : 1}${yy}${String(i).padStart(6, '0')}`,
    sex,
    birth_date: birthDate,
    ...overrides,
  });
}
