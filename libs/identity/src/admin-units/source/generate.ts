import { AdministrativeUnits } from '../administrative-units.js';
import {
  referenceDataFromPublished,
  sameCommune,
  sameProvince,
  type MapTransition,
  type PublishedMap,
  type PublishedSuccession,
} from '../published-data.js';
import { spellingKey, withoutUnitType } from '../unit-names.js';
import { readSourceMap, readSuccessorRows, type SourceCommune, type SourceMap } from './source-map.js';
import {
  buildSuccession2025,
  foldedKey,
  type MatchMethod,
  type MentionOutcome,
  type Succession2025,
} from './succession-2025.js';

/** The published files, read by the caller (the generator script, or the up-to-date test). */
export interface AdminUnitSources {
  /** `2025-03-01/import-data.sql` */
  readonly map20250301: string;
  /** `2025-07-01/import-data.sql` */
  readonly map20250701: string;
  /** `2026-04-30/import-data.sql` */
  readonly map20260430: string;
  /** `merger-2025/successors.sql` */
  readonly successors: string;
  /** `LICENSE` */
  readonly license: string;
}

/** The published files the generator reads, relative to the data set's folder. */
export const SOURCE_FILES: Readonly<Record<keyof AdminUnitSources, string>> = {
  map20250301: '2025-03-01/import-data.sql',
  map20250701: '2025-07-01/import-data.sql',
  map20260430: '2026-04-30/import-data.sql',
  successors: 'merger-2025/successors.sql',
  license: 'LICENSE',
};

/** Where each output goes, relative to the repository root; all committed. */
export const GENERATED = {
  map20250301: 'libs/identity/src/admin-units/generated/map-2025-03-01.ts',
  map20250701: 'libs/identity/src/admin-units/generated/map-2025-07-01.ts',
  map20260430: 'libs/identity/src/admin-units/generated/map-2026-04-30.ts',
  succession: 'libs/identity/src/admin-units/generated/succession-2025.ts',
  license: 'libs/identity/src/admin-units/generated/LICENSE',
  report: 'docs/admin-units-succession.md',
} as const;

const COMMAND = 'node libs/identity/scripts/generate-admin-units.mjs';
const SOURCE = '../shared/data/admin-units';

const LISTS = [
  {
    key: 'map20250301',
    constant: 'MAP_2025_03_01',
    validFrom: '2025-03-01',
    legalBasis: 'Nghị quyết 1365/NQ-UBTVQH15',
    what: 'the last map before the reform: 63 provinces, 696 districts, 10,035 communes',
  },
  {
    key: 'map20250701',
    constant: 'MAP_2025_07_01',
    validFrom: '2025-07-01',
    legalBasis: 'Nghị quyết 202/2025/QH15',
    what: '34 provinces, no district level, 3,321 communes, wards and special zones (codes: Decision 19/2025/QĐ-TTg)',
  },
  {
    key: 'map20260430',
    constant: 'MAP_2026_04_30',
    validFrom: '2026-04-30',
    legalBasis: 'Nghị quyết 30/2026/QH16; Nghị quyết 237/NQ-UBTVQH16',
    what: 'Đồng Nai becomes a centrally-run city and ten of its communes become wards',
  },
] as const;

const PROVINCE_LEGAL_BASIS = 'Nghị quyết 202/2025/QH15';
const COMMUNE_LEGAL_BASIS = 'Nghị quyết của UBTVQH về sắp xếp đơn vị hành chính cấp xã năm 2025';

/** Everything the generator writes, path → content. Pure: the same sources give the same bytes. */
export function generateAdminUnits(sources: AdminUnitSources): ReadonlyMap<string, string> {
  const maps = LISTS.map((list) => readSourceMap(list.validFrom, sources[list.key]));
  const [before, after, latest] = maps as [SourceMap, SourceMap, SourceMap];
  const succession = buildSuccession2025(before, after, readSuccessorRows(sources.successors));

  const published = LISTS.map((list, i) => publishedMap(maps[i]!, list.legalBasis));
  const publishedSuccession = publishedSuccessionOf(succession);
  // Fails here, not in the product, if the lists and the succession do not make one history.
  const reference = referenceDataFromPublished(published, [publishedSuccession]);
  new AdministrativeUnits(reference);

  const files = new Map<string, string>();
  LISTS.forEach((list, i) => {
    files.set(GENERATED[list.key], mapModule(list, published[i]!));
  });
  files.set(GENERATED.succession, successionModule(publishedSuccession));
  files.set(GENERATED.license, sources.license);
  files.set(
    GENERATED.report,
    report(before, after, succession, reference.transitions, respelled(after, latest)),
  );
  return files;
}

function publishedMap(map: SourceMap, legalBasis: string): PublishedMap {
  const byCode = <T extends { code: string }>(list: readonly T[]) =>
    [...list].sort((a, b) => compare(a.code, b.code));
  return {
    validFrom: map.validFrom,
    legalBasis,
    provinces: byCode(map.provinces)
      .map((p) => row(p.code, p.name, p.fullName))
      .join('\n'),
    districts: byCode(map.districts)
      .map((d) => row(d.code, d.fullName, d.provinceCode))
      .join('\n'),
    communes: byCode(map.communes)
      .map((c) => row(c.code, c.fullName, c.districtCode ?? c.provinceCode))
      .join('\n'),
  };
}

function publishedSuccessionOf(s: Succession2025): PublishedSuccession {
  const predecessors = new Map<string, string[]>(s.communes.map((c) => [c.code, []]));
  for (const [oldCode, newCodes] of s.successorsOfOld) {
    for (const newCode of newCodes) predecessors.get(newCode)!.push(oldCode);
  }
  return {
    effectiveFrom: '2025-07-01',
    provinceLegalBasis: PROVINCE_LEGAL_BASIS,
    communeLegalBasis: COMMUNE_LEGAL_BASIS,
    provinces: [...s.provinces]
      .sort(([a], [b]) => compare(a, b))
      .map(([to, from]) => `${to}<${[...from].sort(compare).join(' ')}`)
      .join('\n'),
    communes: [...predecessors]
      .sort(([a], [b]) => compare(a, b))
      .map(([to, from]) => `${to}<${from.sort(compare).join(' ')}`)
      .join('\n'),
    districts: [...s.districtSuccessors]
      .sort(([, a], [, b]) => compare(a, b))
      .map(([district, zone]) => `${zone}<${district}`)
      .join('\n'),
  };
}

function row(...fields: string[]): string {
  for (const f of fields) {
    if (/[|\n`\\]|\$\{/.test(f)) throw new Error(`a field the committed format cannot hold: ${f}`);
  }
  return fields.join('|');
}

const HEADER = (from: string) =>
  [
    `// Generated by \`${COMMAND}\` from ${SOURCE}/${from}`,
    '// (the vietnamese-provinces-database data set, MIT licence: see LICENSE beside this file).',
    '// Do not edit: change the generator, or the data, and run it again.',
  ].join('\n');

function mapModule(list: (typeof LISTS)[number], map: PublishedMap): string {
  return `${HEADER(`${list.validFrom}/import-data.sql`)}
import type { PublishedMap } from '../published-data.js';

/** In force from ${list.validFrom} (${list.legalBasis}): ${list.what}. */
export const ${list.constant}: PublishedMap = {
  validFrom: '${map.validFrom}',
  legalBasis: '${map.legalBasis}',
  provinces: \`${map.provinces}\`,
  districts: \`${map.districts}\`,
  communes: \`${map.communes}\`,
};
`;
}

function successionModule(s: PublishedSuccession): string {
  return `${HEADER('merger-2025/successors.sql')}
// How each line was matched, and what could not be: docs/admin-units-succession.md.
import type { PublishedSuccession } from '../published-data.js';

/** The 2025 reform: each new province and commune, and the old units it took territory from. */
export const SUCCESSION_2025: PublishedSuccession = {
  effectiveFrom: '${s.effectiveFrom}',
  provinceLegalBasis: '${s.provinceLegalBasis}',
  communeLegalBasis: '${s.communeLegalBasis}',
  provinces: \`${s.provinces}\`,
  communes: \`${s.communes}\`,
  districts: \`${s.districts}\`,
};
`;
}

// ---------------------------------------------------------------------------------------------
// The report

const METHOD_TEXT: Record<MatchMethod, string> = {
  name: 'by name: the only commune of that type and name in the old province(s)',
  district: 'by name within the district the text names ("Xã Tân Thành (huyện Hướng Hóa)")',
  context:
    'by context: several of that name; the only one in a district the same text places its other units in',
  spelling:
    'by a spelling the list writes differently (type word, diacritics, spaces, Quí/Quý, NT/Nông trường, II/2): listed below for review',
  unchanged: '"giữ nguyên" (unchanged): the commune of the same code, or else the only one of that name',
  'whole-district': 'a whole district named ("Huyện Kiên Hải"): each of its communes',
};

function report(
  before: SourceMap,
  after: SourceMap,
  s: Succession2025,
  transitions: readonly MapTransition[],
  respellings: readonly (readonly [string, string, string])[],
): string {
  const old = new Map(before.communes.map((c) => [c.code, c]));
  const current = new Map(after.communes.map((c) => [c.code, c]));
  const districtName = new Map(before.districts.map((d) => [d.code, d.fullName]));
  const provinceName = new Map(before.provinces.map((p) => [p.code, p.name]));
  const newProvinceName = new Map(after.provinces.map((p) => [p.code, p.name]));
  const oldLabel = (code: string) => {
    const c = old.get(code)!;
    return `${code} ${c.fullName} (${districtName.get(c.districtCode!)}, ${provinceName.get(c.provinceCode)})`;
  };
  const newLabel = (code: string) =>
    `${code} ${current.get(code)!.fullName} (${newProvinceName.get(current.get(code)!.provinceCode)})`;

  const one = [...s.successorsOfOld.values()].filter((n) => n.length === 1).length;
  const several = [...s.successorsOfOld.values()].filter((n) => n.length > 1).length;
  const unmatched = before.communes.filter((c) => !s.successorsOfOld.has(c.code));

  type Found = { newCode: string; outcome: MentionOutcome };
  const outcomes: Found[] = s.communes.flatMap((c) =>
    c.outcomes.map((outcome) => ({ newCode: c.code, outcome })),
  );
  const byMethod = new Map<MatchMethod, Found[]>();
  for (const f of outcomes) {
    if (f.outcome.kind !== 'commune') continue;
    byMethod.set(f.outcome.method, [...(byMethod.get(f.outcome.method) ?? []), f]);
  }
  const unmatchedMentions = outcomes.filter((f) => f.outcome.kind === 'unmatched');
  const districtMentions = outcomes.filter((f) => f.outcome.kind === 'district');

  const out: string[] = [];
  const line = (text = '') => out.push(text);
  const esc = (text: string) => text.replace(/\|/g, '\\|');

  line('# The 2025 succession of communes, as matched from the merger text');
  line();
  line(`Generated by \`${COMMAND}\` from \`${SOURCE}\` (\`merger-2025/successors.sql\` read against`);
  line('the lists in force from 2025-03-01 and 2025-07-01). Do not edit: the test');
  line('`libs/identity/src/admin-units/source/generated-up-to-date.spec.ts` fails when this file and the');
  line('generator disagree. What it feeds: `libs/identity/src/admin-units/generated/succession-2025.ts`.');
  line();
  line('## Figures');
  line();
  line('| Pre-reform communes (list of 2025-03-01) | count |');
  line('| --- | ---: |');
  line(`| all | ${fmt(before.communes.length)} |`);
  line(`| exactly one successor (an address there resolves) | ${fmt(one)} |`);
  line(`| several successors (divided: an address there needs recoding) | ${fmt(several)} |`);
  line(`| not matched (no successor found; listed below with the reason) | ${fmt(unmatched.length)} |`);
  line();
  const histogram = new Map<number, number>();
  for (const n of s.successorsOfOld.values()) histogram.set(n.length, (histogram.get(n.length) ?? 0) + 1);
  line(
    `Successors per divided commune: ${[...histogram]
      .filter(([n]) => n > 1)
      .sort(([a], [b]) => a - b)
      .map(([n, count]) => `${n}: ${fmt(count)}`)
      .join(', ')}.`,
  );
  line();
  line(
    `New units: ${fmt(after.communes.length)} communes, wards and special zones in ${after.provinces.length} provinces; ` +
      `${s.communes.filter((c) => c.unchanged).length} of them "giữ nguyên" (unchanged).`,
  );
  line();
  line('## How the text was read');
  line();
  line('Each new commune\'s `truocsapnhap` lists the units it was formed from: "Phường Quán Thánh, Phường');
  line('Trúc Bạch, một phần diện tích TN, quy mô dân số của các phường Cửa Nam, Điện Biên…, phần còn lại');
  line('của phường Cửa Đông…". The parser (`source/merger-text.ts`) splits it into named units, with the');
  line('type carried over to the bare names that follow ("các phường Cửa Nam, Điện Biên"), a district');
  line('in brackets as a qualifier, and "(phần còn lại sau khi sáp nhập vào phường A, phường B)" as the');
  line('other units that took part of it. Names are matched (`source/succession-2025.ts`) only among the');
  line("communes of the old province(s) the new unit's province was formed from (Bình Dương's wards");
  line("among Hồ Chí Minh City's predecessors, never Long An's).");
  line();
  line('A pre-reform commune is **divided** when two or more new units name it, whatever the wording:');
  line('the texts name divided units both with "một phần…" and without it, so the wording is not');
  line('trusted either way. One named only "in part" by a single text still has one successor here and');
  line('is listed below. A name that could mean more than one commune, or none, is reported and left');
  line('unmatched rather than guessed; a commune nobody names has no successor, and an address there');
  line('needs recoding by a person, like one in a divided commune.');
  line();
  line('| How a named unit was matched | mentions |');
  line('| --- | ---: |');
  for (const method of Object.keys(METHOD_TEXT) as MatchMethod[]) {
    line(`| ${METHOD_TEXT[method]} | ${fmt(byMethod.get(method)?.length ?? 0)} |`);
  }
  line(`| an island district with no communes, which became a special zone | ${districtMentions.length} |`);
  line(`| **not matched** (listed below) | ${fmt(unmatchedMentions.length)} |`);
  line();
  line(
    `Edges known only from another unit's "(phần còn lại sau khi sáp nhập vào …)" clause: ${s.remainderOnlyEdges.length}` +
      (s.remainderOnlyEdges.length === 0
        ? '.'
        : ` (${s.remainderOnlyEdges.map((e) => `${e.oldCode} → ${e.newCode}`).join(', ')}).`),
  );
  line();

  line(`## Pre-reform communes not matched (${unmatched.length})`);
  line();
  line('No successor edge: an address recorded in one of these resolves to `needs-recoding` with reason');
  line('`successor-unknown` (province known, commune to be chosen by a person). Where a text names a');
  line('unit whose spelling is close, it is shown: probably the same commune, but not taken without a');
  line('person confirming it against the resolution.');
  line();
  line('| Commune (2025-03-01) | District, province | Reason |');
  line('| --- | --- | --- |');
  for (const c of unmatched) {
    line(
      `| ${c.code} ${c.fullName} | ${districtName.get(c.districtCode!)}, ${provinceName.get(c.provinceCode)} | ${esc(
        whyUnmatched(c, s, unmatchedMentions, newLabel),
      )} |`,
    );
  }
  line();

  line(`## Named units that match no pre-reform commune (${unmatchedMentions.length})`);
  line();
  line('| New unit | As written | Why not matched |');
  line('| --- | --- | --- |');
  for (const f of unmatchedMentions) {
    if (f.outcome.kind !== 'unmatched') continue;
    line(`| ${newLabel(f.newCode)} | ${esc(f.outcome.mention.written)} | ${esc(f.outcome.reason)} |`);
  }
  line();

  const partOnly = [...s.successorsOfOld].filter(
    ([code, succ]) =>
      succ.length === 1 &&
      outcomes.some(
        (f) => f.outcome.kind === 'commune' && f.outcome.code === code && f.outcome.mention.share === 'part',
      ),
  );
  line(`## Named "in part" by one text only (${partOnly.length})`);
  line();
  line('The text gives part of the commune, but no other unit names the rest: one successor here. To');
  line('check against the resolution.');
  line();
  for (const [code, [to]] of partOnly) line(`- ${oldLabel(code)} → ${newLabel(to!)}`);
  line();

  for (const method of ['spelling', 'context', 'whole-district'] as const) {
    const found = byMethod.get(method) ?? [];
    line(
      `## Matched ${method === 'whole-district' ? 'as a whole district' : `by ${method}`} (${found.length})`,
    );
    line();
    line(METHOD_TEXT[method].replace(/^./, (c) => c.toUpperCase()) + '.');
    line();
    line('| New unit | As written | Pre-reform commune |');
    line('| --- | --- | --- |');
    for (const f of found) {
      if (f.outcome.kind !== 'commune') continue;
      line(`| ${newLabel(f.newCode)} | ${esc(f.outcome.mention.written)} | ${oldLabel(f.outcome.code)} |`);
    }
    line();
  }

  line(`## Island districts without communes (${s.districtSuccessors.size})`);
  line();
  line('Not among the 10,035 communes: the district was the unit, and became a special zone (đặc khu).');
  line();
  for (const [district, zone] of [...s.districtSuccessors].sort(([a], [b]) => compare(a, b))) {
    line(`- ${district} ${districtName.get(district)} → ${newLabel(zone)}`);
  }
  line();

  line('## Provinces');
  line();
  line('| New province (GSO code) | Formed from |');
  line('| --- | --- |');
  for (const [to, from] of [...s.provinces].sort(([a], [b]) => compare(a, b))) {
    const name = newProvinceName.get(to);
    const fromNames = from.map((code) => `${code} ${provinceName.get(code)}`).join(', ');
    line(`| ${to} ${name} | ${from.length === 1 && from[0] === to ? 'unchanged' : fromNames} |`);
  }
  line();

  line(`## Notes on the source rows (${s.rowNotes.length})`);
  line();
  for (const note of s.rowNotes) line(`- ${note}`);
  line();

  const later = transitions.at(-1)!;
  line('## From 2026-04-30');
  line();
  line('New versions (a changed unit type; same code and territory):');
  line();
  for (const r of later.reorganisations) {
    line(`- ${r.successor.code} ${r.successor.fullName ?? r.successor.name}`);
  }
  line();
  line(
    `The 2026 list also spells ${respellings.length} names differently (mostly "hoà" for "hòa"); a respelling is` +
      ' not a new version, and the name keeps the spelling of the list it first appeared in. Beyond tone',
  );
  line('placement:');
  line();
  const beyondTone = respellings.filter(
    ([, a, b]) => spellingKey(a) !== spellingKey(b) || a.toLowerCase() === b.toLowerCase(),
  );
  for (const [code, from, to] of beyondTone) {
    line(`- ${code} ${from} → ${to}`);
  }
  line();
  return out.join('\n');
}

/** Units a later list spells differently without another change: [code, before, after]. */
function respelled(before: SourceMap, after: SourceMap): [string, string, string][] {
  const result: [string, string, string][] = [];
  const communes = new Map(before.communes.map((c) => [c.code, c]));
  for (const c of after.communes) {
    const old = communes.get(c.code);
    if (old && old.fullName !== c.fullName && sameCommune(old, c))
      result.push([c.code, old.fullName, c.fullName]);
  }
  const provinces = new Map(before.provinces.map((p) => [p.code, p]));
  for (const p of after.provinces) {
    const old = provinces.get(p.code);
    if (old && old.fullName !== p.fullName && sameProvince(old, p))
      result.push([p.code, old.fullName, p.fullName]);
  }
  return result.sort(([a], [b]) => compare(a, b));
}

function whyUnmatched(
  c: SourceCommune,
  s: Succession2025,
  unmatchedMentions: readonly { newCode: string; outcome: MentionOutcome }[],
  newLabel: (code: string) => string,
): string {
  const ambiguous = unmatchedMentions.filter(
    (f) => f.outcome.kind === 'unmatched' && f.outcome.candidates.includes(c.code),
  );
  if (ambiguous.length > 0) {
    return ambiguous
      .map(
        (f) =>
          `named ambiguously: ${newLabel(f.newCode)} gives "${f.outcome.mention.written}", which could be it`,
      )
      .join('; ');
  }
  const own = foldedKey(withoutUnitType(c.fullName));
  const newProvince = [...s.provinces].find(([, from]) => from.includes(c.provinceCode))?.[0];
  const near = unmatchedMentions
    .filter((f) => s.communes.find((n) => n.code === f.newCode)?.provinceCode === newProvince)
    .map((f) => ({ f, distance: editDistance(own, foldedKey(f.outcome.mention.name)) }))
    .filter(({ distance }) => distance <= 2)
    .sort((a, b) => a.distance - b.distance);
  if (near.length > 0) {
    return `no text names it so spelled; ${near
      .map(
        ({ f, distance }) =>
          `${newLabel(f.newCode)} names "${f.outcome.mention.written}" (${distance} letter${distance === 1 ? '' : 's'} apart${
            f.newCode === c.code ? ", and the new unit has this commune's code" : ''
          })`,
      )
      .join('; ')}`;
  }
  return 'no text of its new province names it';
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

const fmt = (n: number) => n.toLocaleString('en-US');
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
