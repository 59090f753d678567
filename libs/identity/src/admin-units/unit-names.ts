/** Apostrophes and their look-alikes, as unit names write them (Ea H'Leo, Cư M’gar, Ea HLeo). */
const APOSTROPHES = /['\u2018\u2019\u02BC`\u00B4]/g;

/**
 * Old-style tone placement on the first vowel of an open "oa", "oe" or "uy" (hòa, thủy) moved to
 * the second (hoà, thuỷ), on the decomposed text. Both spellings are in official use and the
 * published lists switch between them from one release to the next.
 */
const OLD_STYLE_TONE = /([ou])([\u0300\u0301\u0303\u0309\u0323])([aey])(?![\p{L}\p{M}])/gu;

/**
 * The unit types that start a unit's full name. Longest first, so "Thị trấn" wins over a shorter
 * prefix and "Thành phố" over nothing.
 */
export const UNIT_TYPE_WORDS = [
  'thành phố',
  'thị trấn',
  'thị xã',
  'đặc khu',
  'phường',
  'huyện',
  'quận',
  'tỉnh',
  'xã',
] as const;

/**
 * A name as spelled, for deciding whether two spellings are the same name: NFC, lower case, one
 * tone placement (hoà = hòa), no apostrophes, single spaces. Diacritics otherwise count: Thần Sa
 * is not Thần Xa.
 */
export function spellingKey(name: string): string {
  return name
    .normalize('NFC')
    .toLowerCase()
    .normalize('NFD')
    .replace(OLD_STYLE_TONE, '$1$3$2')
    .normalize('NFC')
    .replace(APOSTROPHES, '')
    .replace(/[\s\u00A0]+/g, ' ')
    .trim();
}

/**
 * A name with no diacritic, case, apostrophe or hyphen: what a search typed on a plain keyboard
 * can match ("Thủ Dầu Một", "THU DAU MOT" and "thu  dau mot" give "thu dau mot").
 */
export function searchKey(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(APOSTROPHES, '')
    .replace(/[\s\u00A0-]+/g, ' ')
    .trim();
}

const SEARCH_TYPE_PREFIX = new RegExp(`^(?:${UNIT_TYPE_WORDS.map(searchKey).join('|')}) `);

/** `searchKey` without the unit type it starts with: "phuong thu dau mot" → "thu dau mot". */
export function withoutSearchType(key: string): string {
  return key.replace(SEARCH_TYPE_PREFIX, '');
}

/** The unit type a full name starts with ("Phường", "Xã", "Thị trấn"…), lower case; undefined if none. */
export function unitTypeOf(fullName: string): string | undefined {
  // Only the first words matter: no need to normalise a whole name (this runs for every unit).
  const start = fullName.slice(0, 20).normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trimStart();
  return UNIT_TYPE_WORDS.find((type) => start === type || start.startsWith(`${type} `));
}

/** A full name without the unit type it starts with: "Phường Thủ Dầu Một" → "Thủ Dầu Một". */
export function withoutUnitType(fullName: string): string {
  const trimmed = fullName.normalize('NFC').replace(/\s+/g, ' ').trim();
  const type = unitTypeOf(trimmed);
  return type === undefined ? trimmed : trimmed.slice(type.length).trim();
}
