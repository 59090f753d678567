import { spellingKey, unitTypeOf, withoutUnitType } from '../unit-names.js';
import { isCommuneType, isDistrictType, parseMergerText, type MergerMention } from './merger-text.js';
import type { SourceCommune, SourceDistrict, SourceMap, SuccessorRow } from './source-map.js';

/** How a mention was tied to a pre-reform commune. */
export type MatchMethod =
  /** the only commune of that type and name in the old province(s) */
  | 'name'
  /** the only one of that name in the district the text names */
  | 'district'
  /** several of that name; the only one in a district the same text places other units in */
  | 'context'
  /** the text's spelling differs from the list's only in diacritics or apostrophes, one candidate */
  | 'spelling'
  /** "giữ nguyên": the commune of the same code (or else the only one of the same name) carries on */
  | 'unchanged'
  /** the text names a whole district: each of its communes */
  | 'whole-district';

export type MentionOutcome =
  | {
      readonly kind: 'commune';
      readonly code: string;
      readonly method: MatchMethod;
      readonly mention: MergerMention;
    }
  | { readonly kind: 'district'; readonly code: string; readonly mention: MergerMention }
  | {
      readonly kind: 'unmatched';
      readonly reason: string;
      /** Pre-reform communes the mention could mean, when it is ambiguous. */
      readonly candidates: readonly string[];
      readonly mention: MergerMention;
    };

export interface NewCommuneSuccession {
  /** The commune's code on the 2025-07-01 list. */
  readonly code: string;
  /** The province (GSO, 2 digits) it belongs to. */
  readonly provinceCode: string;
  /** The successors.sql row's code, when it differs from the list's (a data error corrected here). */
  readonly rowCode: string;
  /** `giữ nguyên` in the text. */
  readonly unchanged: boolean;
  readonly formedFrom: string;
  readonly outcomes: readonly MentionOutcome[];
}

export interface Succession2025 {
  /** New province (GSO code) → the old provinces it was formed from, wholly. */
  readonly provinces: ReadonlyMap<string, readonly string[]>;
  readonly communes: readonly NewCommuneSuccession[];
  /** Old commune → new communes that took its territory (text mentions plus remainder clauses). */
  readonly successorsOfOld: ReadonlyMap<string, readonly string[]>;
  /** Edges known only from another unit's "(phần còn lại sau khi sáp nhập vào …)" clause. */
  readonly remainderOnlyEdges: readonly { readonly oldCode: string; readonly newCode: string }[];
  /** Pre-reform districts with no communes (island districts) → the special zone that replaced them. */
  readonly districtSuccessors: ReadonlyMap<string, string>;
  /** Problems with the successor rows themselves. */
  readonly rowNotes: readonly string[];
}

const nameKey = (name: string) => spellingKey(name).replace(/^0+(?=\d)/, '');
const looseKey = (name: string) =>
  nameKey(name)
    .normalize('NFD')
    .replace(/\p{Mn}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/[\s-]/g, '');

/** Old provinces named in a province row's text ("TPHCM, tỉnh Bà Rịa - Vũng Tàu và tỉnh Bình Dương"). */
function oldProvincesOf(row: SuccessorRow, old: SourceMap, notes: string[]): string[] {
  const sentence = row.formedFrom.normalize('NFC').split(/\.\s/)[0]!.trim();
  if (spellingKey(sentence) === 'giữ nguyên') return [row.code];
  const byName = new Map(old.provinces.map((p) => [provinceKey(p.name), p.code]));
  const codes: string[] = [];
  for (const part of sentence.split(/\s*,\s*|\s+và\s+/u)) {
    const name = part
      .replace(/^(tỉnh|thành phố|tp\.?)\s+/iu, '')
      .replace(/^tphcm$/iu, 'Hồ Chí Minh')
      .trim();
    const code = byName.get(provinceKey(name));
    if (code === undefined) notes.push(`province ${row.code} ${row.fullName}: "${part}" is no province`);
    else codes.push(code);
  }
  return codes;
}

const provinceKey = (name: string) => spellingKey(name).replace(/\s*[-–]\s*/g, '-');

/**
 * Builds the 2025 succession: for every commune of the 2025-07-01 list, the pre-reform communes
 * its `truocsapnhap` text names, each matched within the old provinces the new province was formed
 * from. A name that cannot be tied to exactly one commune is reported, never guessed.
 */
export function buildSuccession2025(
  before: SourceMap,
  after: SourceMap,
  rows: readonly SuccessorRow[],
): Succession2025 {
  const rowNotes: string[] = [];
  const provinces = new Map<string, readonly string[]>();
  for (const row of rows.filter((r) => r.provinceCode === undefined)) {
    provinces.set(row.code, oldProvincesOf(row, before, rowNotes));
  }
  const provinceOwner = new Map<string, string>();
  for (const [newCode, oldCodes] of provinces) {
    for (const oldCode of oldCodes) {
      const other = provinceOwner.get(oldCode);
      if (other !== undefined) rowNotes.push(`old province ${oldCode} is in both ${other} and ${newCode}`);
      provinceOwner.set(oldCode, newCode);
    }
  }
  for (const p of before.provinces) {
    if (!provinceOwner.has(p.code)) rowNotes.push(`old province ${p.code} ${p.name} is in no new province`);
  }

  const districts = new Map(before.districts.map((d) => [d.code, d]));
  const communesByProvince = groupBy(before.communes.map(oldCommune), (c) => c.commune.provinceCode);
  const provinceNames = new Map(before.provinces.map((p) => [provinceKey(p.name), p.code]));
  const districtsByProvince = groupBy(before.districts, (d) => d.provinceCode);
  const districtsWithCommunes = new Set(before.communes.map((c) => c.districtCode));
  const newCommunes = new Map(after.communes.map((c) => [c.code, c]));
  const newByName = new Map(after.communes.map((c) => [`${c.provinceCode}|${nameKey(c.fullName)}`, c]));

  const communes: NewCommuneSuccession[] = [];
  const firstPass: { row: SuccessorRow; target: SourceCommune; unchanged: boolean; matched: MatchedText }[] =
    [];
  const seenNew = new Set<string>();
  for (const row of rows.filter((r) => r.provinceCode !== undefined)) {
    let target = newCommunes.get(row.code);
    if (target === undefined) {
      target = newByName.get(`${row.provinceCode}|${nameKey(row.fullName)}`);
      rowNotes.push(
        target
          ? `row ${row.code} ${row.fullName}: no such code on the 2025-07-01 list; taken as ${target.code}, the province's only unit of that name`
          : `row ${row.code} ${row.fullName}: no such code or name on the 2025-07-01 list; ignored`,
      );
      if (target === undefined) continue;
    }
    if (target.provinceCode !== row.provinceCode) {
      rowNotes.push(`row ${row.code}: province ${row.provinceCode}, list says ${target.provinceCode}`);
    }
    if (seenNew.has(target.code)) rowNotes.push(`row ${row.code}: a second row for ${target.code}`);
    seenNew.add(target.code);
    const scope = (provinces.get(target.provinceCode) ?? []).flatMap((p) => communesByProvince.get(p) ?? []);
    const scopeDistricts = (provinces.get(target.provinceCode) ?? []).flatMap(
      (p) => districtsByProvince.get(p) ?? [],
    );
    const parsed = parseMergerText(row.formedFrom);
    const matched: MatchedText =
      parsed.kind === 'unchanged'
        ? { results: [matchUnchanged(target, scope, row.formedFrom)], anchors: new Set() }
        : matchMentions(
            parsed.mentions,
            target.code,
            scope,
            scopeDistricts,
            districtsWithCommunes,
            provinceNames,
          );
    firstPass.push({ row, target, unchanged: parsed.kind === 'unchanged', matched });
  }
  const claims = new Map<string, number>();
  for (const { matched } of firstPass) {
    const named = new Set<string>();
    for (const r of matched.results) {
      if ('kind' in r && r.kind === 'commune') named.add(r.code);
      if (!('kind' in r) && r.typed.length === 1) named.add(r.typed[0]!.commune.code);
    }
    for (const code of named) claims.set(code, (claims.get(code) ?? 0) + 1);
  }
  for (const { row, target, unchanged, matched } of firstPass) {
    communes.push({
      code: target.code,
      provinceCode: target.provinceCode,
      rowCode: row.code,
      unchanged,
      formedFrom: row.formedFrom.normalize('NFC'),
      outcomes: settle(matched, claims, districts),
    });
  }
  for (const c of after.communes) {
    if (!seenNew.has(c.code)) rowNotes.push(`commune ${c.code} ${c.fullName}: no successors.sql row`);
  }
  communes.sort((a, b) => compare(a.code, b.code));

  // Invert: old commune → new communes, adding units named by remainder clauses.
  const successors = new Map<string, Set<string>>();
  const add = (oldCode: string, newCode: string) => {
    const set = successors.get(oldCode) ?? new Set<string>();
    set.add(newCode);
    successors.set(oldCode, set);
  };
  const districtSuccessors = new Map<string, string>();
  for (const c of communes) {
    for (const o of c.outcomes) {
      if (o.kind === 'commune') add(o.code, c.code);
      if (o.kind === 'district') districtSuccessors.set(o.code, c.code);
    }
  }
  const remainderOnlyEdges: { oldCode: string; newCode: string }[] = [];
  const newByCompact = groupBy(after.communes, (c) => `${c.provinceCode}|${compactKey(c.fullName)}`);
  /** "phường Văn Miếu Quốc Tử Giám" (Văn Miếu - Quốc Tử Giám), "Nhơn Hội" after "xã An Phú và", "xã X mới". */
  const newUnitNamed = (provinceCode: string, written: string, type: string | undefined) => {
    const name = written.replace(/\s+mới$/u, '');
    const typed = unitTypeOf(name) === undefined && type !== undefined ? `${type} ${name}` : name;
    const found = newByCompact.get(`${provinceCode}|${compactKey(typed)}`) ?? [];
    return found.length === 1 ? found[0] : undefined;
  };
  for (const c of communes) {
    for (const o of c.outcomes) {
      if (o.kind !== 'commune') continue;
      let type: string | undefined;
      for (const name of o.mention.remainderAfter) {
        type = unitTypeOf(name) ?? type;
        const other = newUnitNamed(c.provinceCode, name, type);
        if (other === undefined) {
          rowNotes.push(`${c.code}: "${o.mention.written}" names ${name}, no unit of the new province`);
          continue;
        }
        if (!successors.get(o.code)?.has(other.code)) {
          remainderOnlyEdges.push({ oldCode: o.code, newCode: other.code });
          add(o.code, other.code);
        }
      }
    }
  }
  const successorsOfOld = new Map(
    [...successors].sort(([a], [b]) => compare(a, b)).map(([k, v]) => [k, [...v].sort(compare)]),
  );
  return { provinces, communes, successorsOfOld, remainderOnlyEdges, districtSuccessors, rowNotes };
}

function matchUnchanged(
  target: SourceCommune,
  scope: readonly OldCommune[],
  written: string,
): MentionOutcome {
  const mention: MergerMention = {
    written,
    type: unitTypeOf(target.fullName),
    typeFromContext: false,
    name: withoutUnitType(target.fullName),
    district: undefined,
    districtProvince: undefined,
    notes: [],
    share: 'whole',
    wholePopulation: false,
    remainderAfter: [],
  };
  const key = nameKey(mention.name);
  // The same code and "unchanged": the same commune, however the lists spell it (Dak Lua, Đak Lua).
  const sameCode = scope.find((c) => c.commune.code === target.code);
  if (sameCode) return { kind: 'commune', code: sameCode.commune.code, method: 'unchanged', mention };
  let sameName = scope.filter((c) => c.key === key && c.type === mention.type);
  if (sameName.length === 0) sameName = scope.filter((c) => c.key === key);
  if (sameName.length === 1) {
    return { kind: 'commune', code: sameName[0]!.commune.code, method: 'unchanged', mention };
  }
  return {
    kind: 'unmatched',
    reason:
      sameName.length === 0
        ? `"giữ nguyên", but no pre-reform commune of the old province(s) is named ${target.fullName}`
        : `"giữ nguyên", but ${sameName.length} pre-reform communes are named ${target.fullName}`,
    candidates: sameName.map((c) => c.commune.code),
    mention,
  };
}

/** A pre-reform commune with the keys its name is matched by. */
interface OldCommune {
  readonly commune: SourceCommune;
  readonly type: string | undefined;
  /** spelling of the name without its type */
  readonly key: string;
  /** the same without diacritics, spaces, hyphens */
  readonly loose: string;
  /** the spelling with conventions folded (y/i, N.T, Roman numerals), spaces and hyphens dropped */
  readonly compact: string;
  /** `compact` without diacritics */
  readonly folded: string;
}

const ROMAN: Readonly<Record<string, string>> = {
  i: '1',
  ii: '2',
  iii: '3',
  iv: '4',
  v: '5',
  vi: '6',
  vii: '7',
  viii: '8',
  ix: '9',
  x: '10',
};

/**
 * Folds spelling conventions that are not differences of name: Quí = Quý, N.T = NT = Nông trường,
 * II = 2, H Bông = HBông. Diacritics are kept: Vân is not Văn.
 */
function compactKey(name: string): string {
  return nameKey(name)
    .replace(/^n\.?\s*t\.?\s+/u, 'nông trường ')
    .split(' ')
    .map((word) => ROMAN[word] ?? word)
    .join('')
    .replace(/-/g, '')
    .normalize('NFD')
    .replace(/y/g, 'i')
    .normalize('NFC');
}

/** `compactKey` without diacritics. */
export const foldedKey = (name: string): string => looseKey(compactKey(name));

function oldCommune(commune: SourceCommune): OldCommune {
  const name = withoutUnitType(commune.fullName);
  return {
    commune,
    type: unitTypeOf(commune.fullName),
    key: nameKey(name),
    loose: looseKey(name),
    compact: compactKey(name),
    folded: foldedKey(name),
  };
}

/** What a mention's name could mean, found in the first pass. */
interface Pending {
  readonly mention: MergerMention;
  /** Same name, and the type the text gives (any type when it gives none). */
  readonly typed: readonly OldCommune[];
  /** Same letters (or spelled apart, abbreviated) but another type; or same letters, spelled apart. */
  readonly strong: readonly OldCommune[];
  /** Same name but for diacritics or y/i. */
  readonly weak: readonly OldCommune[];
}

interface MatchedText {
  readonly results: readonly (MentionOutcome | Pending)[];
  /** Districts the text places units in: of its unambiguous matches, the districts it names, its own code's. */
  readonly anchors: ReadonlySet<string>;
}

function matchMentions(
  mentions: readonly MergerMention[],
  newCode: string,
  scope: readonly OldCommune[],
  scopeDistricts: readonly SourceDistrict[],
  districtsWithCommunes: ReadonlySet<string | undefined>,
  provinceNames: ReadonlyMap<string, string>,
): MatchedText {
  const results: (MentionOutcome | Pending)[] = [];
  const anchors = new Set<string>();
  const self = scope.find((c) => c.commune.code === newCode);
  if (self?.commune.districtCode) anchors.add(self.commune.districtCode);

  for (const mention of mentions) {
    if (mention.type === 'area') {
      results.push({
        kind: 'unmatched',
        reason: 'a village or other piece of land, not a commune of the 2025-03-01 list',
        candidates: [],
        mention,
      });
      continue;
    }
    if (isDistrictType(mention.type)) {
      const found = findDistricts(scopeDistricts, mention.type, mention.name);
      if (found.length !== 1) {
        results.push({
          kind: 'unmatched',
          reason: `names a district (${mention.type} ${mention.name}) found ${found.length} times in the old province(s)`,
          candidates: [],
          mention,
        });
      } else if (!districtsWithCommunes.has(found[0]!.code)) {
        results.push({ kind: 'district', code: found[0]!.code, mention });
      } else {
        // The whole district: each of its communes, wholly.
        for (const c of scope.filter((c) => c.commune.districtCode === found[0]!.code)) {
          results.push({ kind: 'commune', code: c.commune.code, method: 'whole-district', mention });
        }
      }
      continue;
    }
    let inDistricts: ReadonlySet<string> | undefined;
    if (mention.district !== undefined) {
      const [type, name] = splitDistrict(mention.district);
      const province =
        mention.districtProvince === undefined
          ? undefined
          : provinceNames.get(provinceKey(mention.districtProvince.replace(/^(tỉnh|thành phố)\s+/iu, '')));
      const found = findDistricts(scopeDistricts, type, name).filter(
        (d) => province === undefined || d.provinceCode === province,
      );
      if (found.length === 0) {
        results.push({
          kind: 'unmatched',
          reason: `the district it names, "${mention.district}", is not one of the old province(s)`,
          candidates: [],
          mention,
        });
        continue;
      }
      inDistricts = new Set(found.map((d) => d.code));
      if (found.length === 1) anchors.add(found[0]!.code);
    }
    const pool = inDistricts ? scope.filter((c) => inDistricts.has(c.commune.districtCode!)) : scope;
    const typeFits = (c: OldCommune) =>
      mention.type === undefined || !isCommuneType(mention.type) || c.type === mention.type;
    const key = nameKey(mention.name);
    // "Phường Đúc" is a ward whose name is "Phường Đúc": the type was read off twice.
    const typedKey = mention.type === undefined ? undefined : nameKey(`${mention.type} ${mention.name}`);
    const compact = compactKey(mention.name);
    const loose = looseKey(mention.name);
    const folded = foldedKey(mention.name);
    const typed = pool.filter((c) => c.key === key && typeFits(c));
    const strong = pool.filter(
      (c) => !typed.includes(c) && (c.key === key || c.key === typedKey || c.compact === compact),
    );
    const weak = pool.filter(
      (c) => !typed.includes(c) && !strong.includes(c) && (c.loose === loose || c.folded === folded),
    );
    if (typed.length === 1 && strong.length === 0) anchors.add(typed[0]!.commune.districtCode!);
    results.push({ mention, typed, strong, weak });
  }
  return { results, anchors };
}

/**
 * The second pass, knowing every text's first: `claims` counts, per old commune, the texts that
 * name it exactly and alone. A name the text gives another type or spelling is taken only where
 * the text's other units lie, and in preference to a commune other texts name exactly (Mỵ Hòa is
 * Mi Hòa of Kim Bôi, not Mỹ Hòa of Tân Lạc, which another text names as such).
 */
function settle(
  matched: MatchedText,
  claims: ReadonlyMap<string, number>,
  districts: ReadonlyMap<string, SourceDistrict>,
): MentionOutcome[] {
  const { results, anchors } = matched;
  const where = (c: OldCommune) =>
    `${c.commune.code} ${c.commune.fullName} (${districts.get(c.commune.districtCode!)?.fullName ?? '?'})`;
  const isNear = (c: OldCommune) => anchors.has(c.commune.districtCode!);
  const unclaimed = (c: OldCommune) => (claims.get(c.commune.code) ?? 0) === 0;
  /** Narrows by each preference in turn, skipping one that would leave nothing. */
  const prefer = (list: readonly OldCommune[], ...tests: ((c: OldCommune) => boolean)[]) =>
    tests.reduce<readonly OldCommune[]>((l, test) => (l.some(test) ? l.filter(test) : l), list);

  return results.map((r): MentionOutcome => {
    if ('kind' in r) return r;
    const { mention, typed, strong, weak } = r;
    const exactMethod: MatchMethod = mention.district === undefined ? 'name' : 'district';
    if (typed.length === 1) {
      const only = typed[0]!;
      // "Xã Xuân Hòa" where the text's units are wards of Long Khánh, and another text takes
      // Xã Xuân Hòa of Xuân Lộc: the ward Xuân Hoà of Long Khánh is meant.
      const others = strong.filter((c) => isNear(c) && unclaimed(c) && c.key === only.key);
      if ((claims.get(only.commune.code) ?? 0) > 1 && !isNear(only) && others.length === 1) {
        return { kind: 'commune', code: others[0]!.commune.code, method: 'spelling', mention };
      }
      return { kind: 'commune', code: only.commune.code, method: exactMethod, mention };
    }
    if (typed.length > 1) {
      const near = typed.filter(isNear);
      if (near.length === 1)
        return { kind: 'commune', code: near[0]!.commune.code, method: 'context', mention };
      return {
        kind: 'unmatched',
        reason: `${typed.length} communes of the old province(s) answer to it (${typed.map(where).join(', ')}) and ${near.length === 0 ? 'none' : near.length} lie in the districts the text places its other units in`,
        candidates: typed.map((c) => c.commune.code),
        mention,
      };
    }
    const all = [...strong, ...weak];
    if (all.length === 0) {
      return {
        kind: 'unmatched',
        reason: `no ${mention.type ?? 'commune'} ${mention.name}${mention.district ? ` in ${mention.district}` : ''} in the old province(s)`,
        candidates: [],
        mention,
      };
    }
    const near = all.filter(isNear);
    const pick =
      near.length > 0
        ? prefer(
            near,
            unclaimed,
            (c) => c.type === mention.type,
            (c) => strong.includes(c),
          )
        : strong;
    if (pick.length === 1)
      return { kind: 'commune', code: pick[0]!.commune.code, method: 'spelling', mention };
    return {
      kind: 'unmatched',
      reason:
        near.length === 0
          ? `spelled differently from every commune in the districts the text places its other units in; elsewhere: ${all.map(where).join(', ')}`
          : `spelled differently, and ${pick.length} communes near the text's other units could be meant: ${pick.map(where).join(', ')}`,
      candidates: all.map((c) => c.commune.code),
      mention,
    };
  });
}

function splitDistrict(written: string): [string | undefined, string] {
  const match = /^(thành phố|thị xã|huyện|quận|tp\.?|tx\.?)\s+(.+)$/iu.exec(written.trim());
  if (!match) return [undefined, written];
  const type = match[1]!.toLowerCase().replace('.', '');
  return [type === 'tp' ? 'thành phố' : type === 'tx' ? 'thị xã' : type, match[2]!];
}

function findDistricts(
  scope: readonly SourceDistrict[],
  type: string | undefined,
  name: string,
): SourceDistrict[] {
  const key = nameKey(name);
  let named = scope.filter((d) => nameKey(withoutUnitType(d.fullName)) === key);
  if (named.length === 0)
    named = scope.filter((d) => looseKey(withoutUnitType(d.fullName)) === looseKey(name));
  const typed = named.filter((d) => type === undefined || unitTypeOf(d.fullName) === type);
  return typed.length > 0 ? typed : named;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
