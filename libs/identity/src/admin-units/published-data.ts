import { CalendarDate } from '../dates/calendar-date.js';
import { InconsistentReferenceDataError } from '../errors.js';
import type {
  AdministrativeReferenceData,
  District,
  Dissolution,
  Reorganisation,
  TerritoryShare,
  UnitDefinition,
} from './administrative-unit.js';
import { spellingKey, unitTypeOf, withoutUnitType } from './unit-names.js';

/**
 * One official list as the generator commits it (`generated/map-*.ts`): one unit a line,
 * `code|name|…`, GSO codes. Kept as text so the shipped library carries ~0.5 MB, not a JSON tree.
 */
export interface PublishedMap {
  /** First day in force, YYYY-MM-DD. */
  readonly validFrom: string;
  /** The act that put this list in force. */
  readonly legalBasis: string;
  /** `code|name|full name`: `01|Hà Nội|Thành phố Hà Nội`. */
  readonly provinces: string;
  /** `code|full name|province`: `001|Quận Ba Đình|01`; empty from 2025-07-01. */
  readonly districts: string;
  /** `code|full name|parent`: the district before 2025-07-01, the province from then on. */
  readonly communes: string;
}

/** The 2025 succession as the generator commits it (`generated/succession-2025.ts`). */
export interface PublishedSuccession {
  readonly effectiveFrom: string;
  readonly provinceLegalBasis: string;
  readonly communeLegalBasis: string;
  /** `new<old old…`: each new province and the old ones it was formed from, wholly. */
  readonly provinces: string;
  /** `new<old old…`: each new commune and the old ones that gave it territory. */
  readonly communes: string;
  /** `new<district`: special zones formed from an island district that had no communes. */
  readonly districts: string;
}

/** GSO writes province codes with two digits; the register (and the personal ID) with three. */
export const provinceCodeFromGso = (gso: string): string => `0${gso}`;

interface ListedProvince {
  readonly code: string;
  readonly name: string;
  readonly fullName: string;
}
interface ListedCommune {
  readonly code: string;
  readonly fullName: string;
  readonly provinceCode: string;
  readonly districtCode: string | undefined;
}
interface ListedMap {
  readonly validFrom: CalendarDate;
  readonly legalBasis: string;
  readonly provinces: ReadonlyMap<string, ListedProvince>;
  readonly districts: readonly District[];
  readonly communes: ReadonlyMap<string, ListedCommune>;
}

const lines = (text: string) => (text === '' ? [] : text.split('\n'));

function readMap(map: PublishedMap): ListedMap {
  const provinces = new Map<string, ListedProvince>();
  for (const line of lines(map.provinces)) {
    const [gso, name, fullName] = line.split('|') as [string, string, string];
    provinces.set(provinceCodeFromGso(gso), { code: provinceCodeFromGso(gso), name, fullName });
  }
  const districtProvince = new Map<string, string>();
  const districts: District[] = [];
  for (const line of lines(map.districts)) {
    const [code, name, gso] = line.split('|') as [string, string, string];
    districtProvince.set(code, provinceCodeFromGso(gso));
    districts.push({ code, name, provinceCode: provinceCodeFromGso(gso), validTo: null, successorCodes: [] });
  }
  const communes = new Map<string, ListedCommune>();
  for (const line of lines(map.communes)) {
    const [code, fullName, parent] = line.split('|') as [string, string, string];
    const inDistrict = districtProvince.get(parent);
    communes.set(code, {
      code,
      fullName,
      provinceCode: inDistrict ?? provinceCodeFromGso(parent),
      districtCode: inDistrict === undefined ? undefined : parent,
    });
  }
  return {
    validFrom: CalendarDate.parse(map.validFrom),
    legalBasis: map.legalBasis,
    provinces,
    districts,
    communes,
  };
}

const provinceDefinition = (p: ListedProvince): UnitDefinition => ({
  code: p.code,
  name: p.name,
  fullName: p.fullName,
  level: 'province',
});

const communeDefinition = (c: ListedCommune): UnitDefinition => ({
  code: c.code,
  name: c.fullName,
  fullName: c.fullName,
  level: 'commune',
  provinceCode: c.provinceCode,
  ...(c.districtCode === undefined ? {} : { districtCode: c.districtCode }),
});

/** The same name and type: spelling alone (hòa/hoà, case) does not make a new version. */
export function sameProvince(a: { readonly fullName: string }, b: { readonly fullName: string }): boolean {
  return a.fullName === b.fullName || spellingKey(a.fullName) === spellingKey(b.fullName);
}
/** The same type and province: a commune's new spelling is not a new version. */
export function sameCommune(
  a: { readonly fullName: string; readonly provinceCode: string },
  b: { readonly fullName: string; readonly provinceCode: string },
): boolean {
  return (
    a.provinceCode === b.provinceCode &&
    (a.fullName === b.fullName || unitTypeOf(a.fullName) === unitTypeOf(b.fullName))
  );
}

function edges(text: string): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const line of lines(text)) {
    const [to, from = ''] = line.split('<') as [string, string?];
    result.set(to, from === '' ? [] : from.split(' '));
  }
  return result;
}

/** What one list changed from the one before. */
export interface MapTransition {
  readonly reorganisations: readonly Reorganisation[];
  readonly dissolutions: readonly Dissolution[];
}

/**
 * The reference data the published lists make: the first list is the initial map (open-ended
 * backwards: the data holds nothing older), each later list a set of reorganisations on its date.
 * A transition with a `PublishedSuccession` of that date follows its edges: every commune is
 * re-established on 2025-07-01 (the district level went), a province only if it changed, an old
 * commune no edge names is dissolved. A transition without one must keep every code; a unit whose
 * type or province changed (Tỉnh → Thành phố Đồng Nai, Xã → Phường) gets a new version.
 */
export function referenceDataFromPublished(
  published: readonly PublishedMap[],
  successions: readonly PublishedSuccession[],
): AdministrativeReferenceData & { readonly transitions: readonly MapTransition[] } {
  const maps = published.map(readMap);
  const first = maps[0]!;
  const initialUnits = [
    ...[...first.provinces.values()].map(provinceDefinition),
    ...[...first.communes.values()].map(communeDefinition),
  ];
  const transitions: MapTransition[] = [];
  let districts: District[] = [...first.districts];
  for (let i = 1; i < maps.length; i++) {
    const before = maps[i - 1]!;
    const after = maps[i]!;
    const succession = successions.find((s) => s.effectiveFrom === after.validFrom.toString());
    const transition = succession ? bySuccession(before, after, succession) : byCode(before, after);
    transitions.push(transition);
    if (before.districts.length > 0 && after.districts.length === 0) {
      const zones = new Map<string, string[]>();
      for (const [zone, [district]] of edges(succession?.districts ?? '')) {
        zones.set(district!, [...(zones.get(district!) ?? []), zone]);
      }
      const lastDay = after.validFrom.plusDays(-1);
      districts = districts.map((d) => ({ ...d, validTo: lastDay, successorCodes: zones.get(d.code) ?? [] }));
    }
  }
  return {
    initialUnits,
    reorganisations: transitions.flatMap((t) => t.reorganisations),
    dissolutions: transitions.flatMap((t) => t.dissolutions),
    districts,
    transitions,
  };
}

function bySuccession(before: ListedMap, after: ListedMap, succession: PublishedSuccession): MapTransition {
  const effectiveFrom = after.validFrom;
  const reorganisations: Reorganisation[] = [];
  const provinceEdges = edges(succession.provinces);
  const covered = new Set<string>();
  for (const province of after.provinces.values()) {
    const from = (provinceEdges.get(province.code.slice(1)) ?? []).map(provinceCodeFromGso);
    if (from.length === 0) {
      throw new InconsistentReferenceDataError(`province ${province.code}: formed from nothing`);
    }
    for (const code of from) {
      if (covered.has(code)) throw new InconsistentReferenceDataError(`province ${code}: in two new ones`);
      covered.add(code);
    }
    const old = before.provinces.get(province.code);
    if (from.length === 1 && from[0] === province.code && old && sameProvince(old, province)) continue;
    reorganisations.push({
      effectiveFrom,
      legalBasis: succession.provinceLegalBasis,
      successor: provinceDefinition(province),
      predecessors: from.map((code) => ({ code, share: 'whole' })),
    });
  }
  for (const code of before.provinces.keys()) {
    if (!covered.has(code)) throw new InconsistentReferenceDataError(`province ${code}: in no new one`);
  }

  const communeEdges = edges(succession.communes);
  const successorCount = new Map<string, number>();
  for (const from of communeEdges.values()) {
    for (const code of from) successorCount.set(code, (successorCount.get(code) ?? 0) + 1);
  }
  for (const commune of after.communes.values()) {
    const from = communeEdges.get(commune.code);
    if (from === undefined) throw new InconsistentReferenceDataError(`commune ${commune.code}: no edges`);
    reorganisations.push({
      effectiveFrom,
      legalBasis: succession.communeLegalBasis,
      successor: communeDefinition(commune),
      predecessors: from.map((code) => {
        if (!before.communes.has(code)) {
          throw new InconsistentReferenceDataError(
            `commune ${commune.code}: from ${code}, not on the old list`,
          );
        }
        const share: TerritoryShare = successorCount.get(code) === 1 ? 'whole' : 'part';
        return { code, share };
      }),
    });
  }
  const dissolutions: Dissolution[] = [...before.communes.keys()]
    .filter((code) => !successorCount.has(code))
    .map((code) => ({ effectiveFrom, legalBasis: succession.communeLegalBasis, code, level: 'commune' }));
  return { reorganisations, dissolutions };
}

function byCode(before: ListedMap, after: ListedMap): MapTransition {
  const effectiveFrom = after.validFrom;
  const reorganisations: Reorganisation[] = [];
  const keys = (m: ReadonlyMap<string, unknown>) => [...m.keys()].sort().join(' ');
  if (keys(before.provinces) !== keys(after.provinces) || keys(before.communes) !== keys(after.communes)) {
    throw new InconsistentReferenceDataError(
      `${effectiveFrom.toString()}: codes changed, and no succession says how`,
    );
  }
  const renamed = (successor: UnitDefinition): Reorganisation => ({
    effectiveFrom,
    legalBasis: after.legalBasis,
    successor,
    predecessors: [{ code: successor.code, share: 'whole' }],
  });
  for (const p of after.provinces.values()) {
    if (!sameProvince(before.provinces.get(p.code)!, p)) reorganisations.push(renamed(provinceDefinition(p)));
  }
  for (const c of after.communes.values()) {
    const old = before.communes.get(c.code)!;
    // A changed type (Xã → Phường) or province is a new version; a respelling is not.
    if (!sameCommune(old, c)) {
      reorganisations.push(
        renamed(
          communeDefinition({ ...c, fullName: `${typeWord(c.fullName)} ${withoutUnitType(old.fullName)}` }),
        ),
      );
    }
  }
  return { reorganisations, dissolutions: [] };
}

/** The type as the list writes it, with a capital: "Phường". */
function typeWord(fullName: string): string {
  const type = unitTypeOf(fullName) ?? '';
  return fullName.trim().slice(0, type.length);
}
