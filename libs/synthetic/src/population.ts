/**
 * A plausible synthetic population, for benchmarks, end-to-end tests and `cancuoc seed`: Vietnamese names by
 * their real frequency, ages from 0 to 95, birthplaces among the communes of libs/identity's sample
 * data that were in force on the day of birth (the wards created in July 2025 only for the youngest),
 * personal id numbers that agree with birth date, sex and birth province, residences in today's
 * communes, and parents for a share of the people, always on an earlier row.
 *
 *   node libs/synthetic/dist/population.js --count 200000 --out people.csv [--seed 1]
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  ADMINISTRATIVE_UNITS,
  CalendarDate,
  ageAt,
  composePersonalId,
  type AdministrativeUnit,
} from '@cancuoc/identity';
import { seededRandom } from './random.js';

/** One citizen, by the import file's columns. */
export interface PopulationRow {
  readonly personal_id: string;
  readonly family_name: string;
  readonly middle_name: string;
  readonly given_name: string;
  readonly birth_date: string;
  readonly sex: 'male' | 'female';
  readonly nationality: string;
  readonly ethnicity: string;
  readonly religion: string;
  readonly birth_province: string;
  readonly birth_commune: string;
  readonly home_town_province: string;
  readonly home_town_commune: string;
  readonly residence_province: string;
  readonly residence_commune: string;
  readonly residence_detail: string;
  readonly father_personal_id: string;
  readonly mother_personal_id: string;
}

export const POPULATION_COLUMNS: readonly (keyof PopulationRow)[] = [
  'personal_id',
  'family_name',
  'middle_name',
  'given_name',
  'birth_date',
  'sex',
  'nationality',
  'ethnicity',
  'religion',
  'birth_province',
  'birth_commune',
  'home_town_province',
  'home_town_commune',
  'residence_province',
  'residence_commune',
  'residence_detail',
  'father_personal_id',
  'mother_personal_id',
];

export interface PopulationOptions {
  readonly count: number;
  /** Same seed, same population. */
  readonly seed?: number;
  /** The register's today: nobody is born after it, residences are in the communes of that day. */
  readonly today?: CalendarDate;
  /**
   * Share of the adults born in the last 45 years given parents from earlier rows. Every minor has a
   * father and a mother on earlier rows (the register flags a minor without parents): a row that
   * would be a minor before earlier rows can be its parents is drawn again.
   */
  readonly parentShare?: number;
}

type Weighted<T> = ReadonlyArray<readonly [T, number]>;

/** Family names by share of the population (GSO and survey figures, rounded). */
const FAMILY_NAMES: Weighted<string> = [
  ['Nguyễn', 38],
  ['Trần', 11],
  ['Lê', 9.5],
  ['Phạm', 7],
  ['Hoàng', 3],
  ['Huỳnh', 2.1],
  ['Phan', 4.5],
  ['Vũ', 2.2],
  ['Võ', 1.8],
  ['Đặng', 2.1],
  ['Bùi', 2],
  ['Đỗ', 1.4],
  ['Hồ', 1.3],
  ['Ngô', 1.3],
  ['Dương', 1],
  ['Lý', 0.5],
  ['Đinh', 0.6],
  ['Trương', 0.6],
  ['Lương', 0.4],
  ['Mai', 0.4],
];
const MIDDLE_NAMES = {
  male: ['Văn', 'Văn', 'Văn', 'Đức', 'Minh', 'Quốc', 'Hữu', 'Thành', 'Công', 'Xuân', 'Gia', 'Anh', 'Hoàng'],
  female: ['Thị', 'Thị', 'Thị', 'Ngọc', 'Thu', 'Thanh', 'Phương', 'Kim', 'Mai', 'Hồng', 'Bảo', 'Khánh'],
} as const;
const GIVEN_NAMES = {
  male: [
    'An',
    'Bảo',
    'Bình',
    'Cường',
    'Dũng',
    'Duy',
    'Đạt',
    'Hải',
    'Hiếu',
    'Hoàng',
    'Hùng',
    'Huy',
    'Khang',
    'Khoa',
    'Long',
    'Minh',
    'Nam',
    'Nghĩa',
    'Phúc',
    'Quân',
    'Sơn',
    'Tài',
    'Thắng',
    'Thành',
    'Trung',
    'Tuấn',
    'Việt',
    'Vinh',
  ],
  female: [
    'Anh',
    'Chi',
    'Dung',
    'Giang',
    'Hà',
    'Hạnh',
    'Hằng',
    'Hoa',
    'Hương',
    'Lan',
    'Linh',
    'Mai',
    'My',
    'Ngân',
    'Ngọc',
    'Nhung',
    'Oanh',
    'Phương',
    'Quỳnh',
    'Thảo',
    'Trang',
    'Tuyết',
    'Vy',
    'Yến',
  ],
} as const;
const ETHNICITIES: Weighted<string> = [
  ['Kinh', 85.3],
  ['Tày', 1.9],
  ['Thái', 1.9],
  ['Mường', 1.5],
  ["H'Mông", 1.4],
  ['Khmer', 1.4],
  ['Nùng', 1.1],
  ['Hoa', 0.8],
  ['Dao', 0.9],
  ['Gia Rai', 0.5],
  ['Ê Đê', 0.4],
];
const RELIGIONS: Weighted<string> = [
  ['Không', 86],
  ['Công giáo', 6.1],
  ['Phật giáo', 4.8],
  ['Cao Đài', 0.6],
  ['Tin Lành', 1.1],
  ['Phật giáo Hòa Hảo', 1.1],
];
const STREETS = [
  'Hàng Bạc',
  'Hàng Đào',
  'Lý Thái Tổ',
  'Trần Hưng Đạo',
  'Điện Biên Phủ',
  'Nguyễn Huệ',
  'Lê Lợi',
  'Hai Bà Trưng',
  'Phan Đình Phùng',
  'Cách Mạng Tháng Tám',
  'Ninh Kiều',
  'Trần Phú',
  'Quang Trung',
];

class Dice {
  constructor(readonly next: () => number) {}
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  weighted<T>(items: Weighted<T>): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items.at(-1)![0];
  }
}

/** Communes in force on a day, memoised: they change on a handful of days only. */
class CommunesOn {
  private readonly byDay = new Map<string, readonly AdministrativeUnit[]>();
  on(day: CalendarDate): readonly AdministrativeUnit[] {
    const key = day.toString();
    let units = this.byDay.get(key);
    if (!units) {
      units = ADMINISTRATIVE_UNITS.unitsInForce(day, 'commune');
      this.byDay.set(key, units);
    }
    return units;
  }
}

interface Person {
  readonly personalId: string;
  readonly familyName: string;
  readonly birthYear: number;
}

/** Yields `count` people, parents always before their children. */
export function* generatePopulation(options: PopulationOptions): Generator<PopulationRow> {
  const dice = new Dice(seededRandom(options.seed ?? 1));
  const today = options.today ?? CalendarDate.fromInstant(new Date());
  const parentShare = options.parentShare ?? 0.3;
  const communes = new CommunesOn();
  const residences = communes.on(today);
  const everCommunes = [...new Set([...communes.on(today.plusYears(-3)), ...residences])];
  const used = new Set<string>();
  /** Earlier rows by sex and birth year, as parents for later ones. */
  const earlier = { male: new Map<number, Person[]>(), female: new Map<number, Person[]>() };
  const todayDay = today.toEpochDay();
  for (let n = 0; n < options.count; n++) {
    // Ages 0–95, fewer of the old: a rough population pyramid. A minor is drawn again until earlier
    // rows hold a man and a woman who can be the parents: the register flags a minor with none, and
    // enrollment then blocks the card.
    let age: number;
    let birth: CalendarDate;
    let minor: boolean;
    do {
      age = Math.floor(95 * dice.next() ** 1.35);
      birth = CalendarDate.fromEpochDay(todayDay - age * 365 - dice.int(365));
      // The register's own test: the calendar age on its today (365-day years drift by the leap days).
      minor = ageAt(birth, today) < MINOR_UNDER;
    } while (
      minor &&
      !(canHaveParent(earlier.male, birth.year) && canHaveParent(earlier.female, birth.year))
    );
    const sex = dice.next() < 0.5 ? 'male' : 'female';
    const birthPlace = dice.pick(communes.on(birth));
    const provinceCode = birthPlace.provinceCode!;
    let personalId: string;
    do {
      personalId = composePersonalId(
        provinceCode,
        sex,
        birth,
        String(dice.int(1_000_000)).padStart(6, '0'),
      ).value;
    } while (used.has(personalId));
    used.add(personalId);

    let father: Person | undefined;
    let mother: Person | undefined;
    // A minor's birth registration names the parents, and the register flags a minor without them;
    // of the adults, a share born in the last 45 years are linked too.
    if (minor || (age <= 45 && dice.next() < parentShare)) {
      father = candidate(earlier.male, birth.year, birth.year - 22 - dice.int(18), dice);
      mother = candidate(earlier.female, birth.year, birth.year - 20 - dice.int(16), dice);
    }
    const familyName = father?.familyName ?? dice.weighted(FAMILY_NAMES);
    const homeTown = dice.next() < 0.7 ? birthPlace : dice.pick(everCommunes);
    const residence = dice.pick(residences);
    const detail =
      dice.next() < 0.25
        ? `Số ${1 + dice.int(200)}, ngõ ${1 + dice.int(80)} ${dice.pick(STREETS)}`
        : `${1 + dice.int(300)} ${dice.pick(STREETS)}`;
    const person: Person = { personalId, familyName, birthYear: birth.year };
    const byYear = earlier[sex];
    byYear.set(birth.year, [...(byYear.get(birth.year) ?? []).slice(-50), person]);
    yield {
      personal_id: personalId,
      family_name: familyName,
      middle_name: dice.pick(MIDDLE_NAMES[sex]),
      given_name: dice.pick(GIVEN_NAMES[sex]),
      birth_date: birth.toString(),
      sex,
      nationality: 'VNM',
      ethnicity: dice.weighted(ETHNICITIES),
      religion: dice.weighted(RELIGIONS),
      birth_province: provinceCode,
      birth_commune: birthPlace.code,
      home_town_province: homeTown.provinceCode!,
      home_town_commune: homeTown.code,
      residence_province: residence.provinceCode!,
      residence_commune: residence.code,
      residence_detail: detail,
      father_personal_id: father?.personalId ?? '',
      mother_personal_id: mother?.personalId ?? '',
    };
  }
}

/** Youngest and oldest a parent is at the child's birth. */
const PARENT_AGE = { min: 16, max: 50 } as const;
/** The register expects a minor's parents on the record. */
const MINOR_UNDER = 18;

/**
 * An earlier person born in `preferred`, or else in the nearest year a parent could have been born
 * in (16 to 50 years before the child); none when no earlier row fits.
 */
function candidate(
  byYear: Map<number, Person[]>,
  childYear: number,
  preferred: number,
  dice: Dice,
): Person | undefined {
  const latest = childYear - PARENT_AGE.min;
  const earliest = childYear - PARENT_AGE.max;
  for (let step = 0; step <= PARENT_AGE.max - PARENT_AGE.min; step++) {
    for (const year of step === 0 ? [preferred] : [preferred - step, preferred + step]) {
      if (year < earliest || year > latest) continue;
      const people = byYear.get(year);
      if (people && people.length > 0) return dice.pick(people);
    }
  }
  return undefined;
}

/** Whether an earlier row of `byYear` was born 16 to 50 years before `childYear` ({@link candidate}). */
function canHaveParent(byYear: Map<number, Person[]>, childYear: number): boolean {
  for (let year = childYear - PARENT_AGE.max; year <= childYear - PARENT_AGE.min; year++) {
    if ((byYear.get(year)?.length ?? 0) > 0) return true;
  }
  return false;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function csvLine(row: PopulationRow): string {
  return `${POPULATION_COLUMNS.map((c) => csvField(row[c])).join(',')}\n`;
}

export function ndjsonLine(row: PopulationRow): string {
  return `${JSON.stringify(row)}\n`;
}

/** Writes a population file (CSV with a header row, or NDJSON) without holding it in memory. */
export async function writePopulationFile(
  path: string,
  options: PopulationOptions & { readonly format: 'csv' | 'ndjson' },
): Promise<{ rows: number; withParents: number }> {
  const out = createWriteStream(path);
  const line = options.format === 'csv' ? csvLine : ndjsonLine;
  let withParents = 0;
  let buffered = options.format === 'csv' ? `${POPULATION_COLUMNS.join(',')}\n` : '';
  for (const row of generatePopulation(options)) {
    if (row.father_personal_id || row.mother_personal_id) withParents += 1;
    buffered += line(row);
    if (buffered.length >= 1 << 16) {
      if (!out.write(buffered)) await once(out, 'drain');
      buffered = '';
    }
  }
  out.end(buffered);
  await once(out, 'finish');
  return { rows: options.count, withParents };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { count: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' } },
  });
  const out = values.out ?? 'population.csv';
  const result = await writePopulationFile(out, {
    count: Number(values.count ?? 10_000),
    seed: Number(values.seed ?? 1),
    format: out.endsWith('.csv') ? 'csv' : 'ndjson',
  });
  process.stdout.write(`${out}: ${result.rows} people, ${result.withParents} with parents\n`);
}
