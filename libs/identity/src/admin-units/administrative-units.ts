import type { CalendarDate } from '../dates/calendar-date.js';
import { InconsistentReferenceDataError } from '../errors.js';
import type {
  AddressResolution,
  AdministrativeReferenceData,
  AdministrativeUnit,
  District,
  Dissolution,
  ProvinceResolution,
  Reorganisation,
  Succession,
  TerritoryShare,
  UnitDefinition,
  UnitLevel,
  UnitRecord,
} from './administrative-unit.js';
import { searchKey, withoutSearchType } from './unit-names.js';

const CODE_PATTERN: Record<UnitLevel, RegExp> = { province: /^\d{3}$/, commune: /^\d{5}$/ };

/** A day as one comparable number, YYYYMMDD: the hot paths compare these, not objects. */
const dayKey = (date: CalendarDate): number => date.year * 10_000 + date.month * 100 + date.day;
const BEGINNING = Number.NEGATIVE_INFINITY;
const FOREVER = Number.POSITIVE_INFINITY;

interface Version {
  readonly definition: UnitDefinition;
  readonly level: UnitLevel;
  readonly validFrom: CalendarDate | null;
  validTo: CalendarDate | null;
  readonly fromKey: number;
  toKey: number;
  readonly successorCodes: string[];
  readonly predecessorCodes: readonly string[];
  readonly legalBasis: string | undefined;
  /**
   * Built once, on first use: the unit object, and where an address in it lies on the latest map.
   * Declared up front (as undefined) so every version has one shape and the hot path stays fast.
   */
  unit: AdministrativeUnit | undefined;
  latest: AddressResolution | undefined;
}

/**
 * Up to three versions of one commune code, newest last, flattened for `resolveAddress`: an
 * unused place has an empty range (from FOREVER, to BEGINNING).
 */
interface Slot {
  readonly from0: number;
  readonly to0: number;
  readonly version0: Version | undefined;
  answer0: AddressResolution | undefined;
  readonly from1: number;
  readonly to1: number;
  readonly version1: Version | undefined;
  answer1: AddressResolution | undefined;
  readonly from2: number;
  readonly to2: number;
  readonly version2: Version | undefined;
  answer2: AddressResolution | undefined;
  readonly more: readonly Version[] | undefined;
}

/**
 * The administrative map through time, built by replaying reorganisations over the initial map.
 * Building checks the data (a merger of a unit not in force, one code held by two units at once, a
 * divided unit whose shares do not add up) so that bad reference data fails at load time.
 *
 * Immutable once built; what is asked often (units in force, an address's unit today) is computed
 * once and then shared, so treat returned objects as read-only.
 */
export class AdministrativeUnits {
  /** By code; rebuilt once the history is replayed (a map grown one insert at a time reads slower). */
  private versions = new Map<string, Version[]>();
  private readonly districtsByCode: ReadonlyMap<string, District>;
  /** Every day a version begins or ends the day after: the map is the same between two of them. */
  private readonly changeDays: readonly number[];
  private readonly inForceByEpoch = new Map<string, readonly AdministrativeUnit[]>();
  private nameIndex: Map<string, Version[]> | undefined;
  private slots: Map<string, Slot> | undefined;

  constructor(data: AdministrativeReferenceData) {
    for (const definition of data.initialUnits) this.open(definition, null, undefined, []);
    const byDate = new Map<string, { reorganisations: Reorganisation[]; dissolutions: Dissolution[] }>();
    const on = (date: CalendarDate) => {
      const key = date.toString();
      let day = byDate.get(key);
      if (!day) byDate.set(key, (day = { reorganisations: [], dissolutions: [] }));
      return day;
    };
    for (const r of data.reorganisations) on(r.effectiveFrom).reorganisations.push(r);
    for (const d of data.dissolutions ?? []) on(d.effectiveFrom).dissolutions.push(d);
    for (const day of [...byDate.keys()].sort()) {
      const { reorganisations, dissolutions } = byDate.get(day)!;
      this.apply(reorganisations, dissolutions);
    }
    this.checkCommunesHaveProvinces();
    this.versions = new Map([...this.versions].sort(([a], [b]) => (a < b ? -1 : 1)));
    this.districtsByCode = new Map((data.districts ?? []).map((d) => [d.code, d]));
    const days = new Set<number>();
    const lastDays = new Map<number, CalendarDate>();
    for (const versions of this.versions.values()) {
      for (const v of versions) {
        if (v.fromKey !== BEGINNING) days.add(v.fromKey);
        if (v.validTo !== null) lastDays.set(v.toKey, v.validTo);
      }
    }
    for (const lastDay of lastDays.values()) days.add(dayKey(lastDay.plusDays(1)));
    this.changeDays = [...days].sort((a, b) => a - b);
  }

  /** The version of `code` in force on `date`, as it was then; undefined if none was. */
  resolveUnit(code: string, date: CalendarDate): AdministrativeUnit | undefined {
    const version = this.versionAt(code, dayKey(date));
    return version && unitOf(version);
  }

  /** Every version `code` has had, oldest first. */
  history(code: string): readonly AdministrativeUnit[] {
    return (this.versions.get(code) ?? []).map(unitOf);
  }

  /** Whether `code` ever named a unit (of `level`, if given) in this data. */
  isKnownCode(code: string, level?: UnitLevel): boolean {
    return (this.versions.get(code) ?? []).some((v) => level === undefined || v.definition.level === level);
  }

  /**
   * The units in force on `date`, ordered by code. The map only changes on a few days, so the list
   * for each period between changes is built once and shared.
   */
  unitsInForce(date: CalendarDate, level?: UnitLevel): readonly AdministrativeUnit[] {
    const key = dayKey(date);
    let epoch = 0;
    while (epoch < this.changeDays.length && this.changeDays[epoch]! <= key) epoch++;
    const cacheKey = `${epoch}:${level ?? ''}`;
    let units = this.inForceByEpoch.get(cacheKey);
    if (!units) {
      units = [...this.versions.keys()]
        .map((code) => this.versionAt(code, key))
        .filter((v): v is Version => v !== undefined && (level === undefined || v.definition.level === level))
        .map(unitOf);
      this.inForceByEpoch.set(cacheKey, Object.freeze(units));
    }
    return units;
  }

  /** The units of the latest map in the data (every reorganisation applied), ordered by code. */
  currentUnits(level?: UnitLevel): readonly AdministrativeUnit[] {
    return [...this.versions.values()]
      .map((versions) => versions.at(-1)!)
      .filter((v) => v.validTo === null && (level === undefined || v.definition.level === level))
      .sort((a, b) => (a.definition.code < b.definition.code ? -1 : 1))
      .map(unitOf);
  }

  /**
   * Where the unit `code` meant on `recordedAt` lies on `date`, following successors across every
   * reorganisation in between. The recording date is needed because codes are reused: a commune code
   * can name one ward before a reorganisation and a different, larger one after it.
   */
  successorAt(code: string, recordedAt: CalendarDate, date: CalendarDate): Succession | undefined {
    if (date.isBefore(recordedAt)) {
      throw new RangeError(`${date.toString()} is before the recording date ${recordedAt.toString()}`);
    }
    const start = this.versionAt(code, dayKey(recordedAt));
    const key = dayKey(date);
    return start && this.follow(start, (v) => key <= v.toKey);
  }

  /** Like `successorAt`, on the latest map in the data: where an old address lies today. */
  currentSuccessor(code: string, recordedAt: CalendarDate): Succession | undefined {
    const start = this.versionAt(code, dayKey(recordedAt));
    return start && this.follow(start, (v) => v.validTo === null);
  }

  /**
   * An address's commune, coded as `communeCode` on `recordedAt`, on the latest map (or on `asOf`):
   * `resolved` to one commune, `needs-recoding` with the candidates when it was divided (never one
   * picked for the caller), `unknown` when no commune had that code on that day. The recorded
   * address is not changed: this says where it lies now. Cheap: on the latest map each recorded
   * version's answer is computed once and then shared.
   */
  resolveAddress(communeCode: string, recordedAt: CalendarDate, asOf?: CalendarDate): AddressResolution {
    if (asOf === undefined) return this.resolveToLatest(communeCode, dayKey(recordedAt));
    const start = this.versionAt(communeCode, dayKey(recordedAt));
    if (start === undefined || start.level !== 'commune') return UNKNOWN;
    if (dayKey(asOf) >= this.latestChangeDay()) return this.latestOf(start);
    if (asOf.isBefore(recordedAt)) {
      throw new RangeError(`${asOf.toString()} is before the recording date ${recordedAt.toString()}`);
    }
    const key = dayKey(asOf);
    return this.resolveVersion(start, (v) => key <= v.toKey, key);
  }

  /**
   * The hot path of `resolveAddress`: one map lookup, a few number comparisons on one flat object,
   * and the answer computed at most once per version.
   */
  private resolveToLatest(code: string, key: number): AddressResolution {
    const slot = (this.slots ??= this.buildSlots()).get(code);
    if (slot === undefined) return UNKNOWN;
    if (key >= slot.from2)
      return key <= slot.to2 ? (slot.answer2 ??= this.latestOf(slot.version2!)) : UNKNOWN;
    if (key >= slot.from1)
      return key <= slot.to1 ? (slot.answer1 ??= this.latestOf(slot.version1!)) : UNKNOWN;
    if (key >= slot.from0)
      return key <= slot.to0 ? (slot.answer0 ??= this.latestOf(slot.version0!)) : UNKNOWN;
    if (slot.more === undefined) return UNKNOWN;
    const start = slot.more.find((v) => v.fromKey <= key && key <= v.toKey);
    return start === undefined ? UNKNOWN : this.latestOf(start);
  }

  private latestOf(start: Version): AddressResolution {
    return (start.latest ??= this.resolveVersion(start, (v) => v.validTo === null, undefined));
  }

  /** Each commune code's versions (the last three; older ones in `more`) on one flat object. */
  private buildSlots(): Map<string, Slot> {
    const slots = new Map<string, Slot>();
    for (const [code, all] of this.versions) {
      const communes = all.filter((v) => v.level === 'commune');
      if (communes.length === 0) continue;
      const last = communes.slice(-3);
      const at = (i: number) => last[i - (3 - last.length)];
      const slot: Slot = {
        from0: at(0)?.fromKey ?? FOREVER,
        to0: at(0)?.toKey ?? BEGINNING,
        version0: at(0),
        answer0: undefined,
        from1: at(1)?.fromKey ?? FOREVER,
        to1: at(1)?.toKey ?? BEGINNING,
        version1: at(1),
        answer1: undefined,
        from2: at(2)?.fromKey ?? FOREVER,
        to2: at(2)?.toKey ?? BEGINNING,
        version2: at(2),
        answer2: undefined,
        more: communes.length > 3 ? communes.slice(0, -3) : undefined,
      };
      slots.set(code, slot);
    }
    return slots;
  }

  /** A province coded `provinceCode` on `recordedAt`, on the latest map (or on `asOf`): Bình Dương → Hồ Chí Minh. */
  resolveProvince(provinceCode: string, recordedAt: CalendarDate, asOf?: CalendarDate): ProvinceResolution {
    const start = this.versionAt(provinceCode, dayKey(recordedAt));
    if (start === undefined || start.definition.level !== 'province') return UNKNOWN;
    const succession =
      asOf === undefined
        ? this.follow(start, (v) => v.validTo === null)
        : this.successorAt(provinceCode, recordedAt, asOf)!;
    const recorded = unitOf(start);
    if (succession.kind === 'unit') return { status: 'resolved', recorded, province: succession.unit };
    return { status: 'needs-recoding', recorded, candidates: succession.units };
  }

  /** The version(s) of `code`: every one it has had, or the one in force on `on`. */
  findByCode(code: string, on?: CalendarDate): readonly UnitRecord[] {
    const versions = this.versions.get(code) ?? [];
    const key = on === undefined ? undefined : dayKey(on);
    return versions
      .filter((v) => key === undefined || (v.fromKey <= key && key <= v.toKey))
      .map((v) => this.describeVersion(v));
  }

  /**
   * Units by name, with or without diacritics, case, tone placement or the unit type: "thu dau
   * mot", "Phường Thủ Dầu Một", "THỦ DẦU MỘT" all find the ward (and the city of that name, if
   * `level` does not narrow it). Every version ever so named, or those in force on `on`; ordered by
   * code, then by date.
   */
  findByName(
    query: string,
    options: { readonly level?: UnitLevel; readonly on?: CalendarDate; readonly provinceCode?: string } = {},
  ): readonly UnitRecord[] {
    const index = (this.nameIndex ??= this.buildNameIndex());
    const key = searchKey(query);
    const found = new Set<Version>([...(index.get(key) ?? []), ...(index.get(withoutSearchType(key)) ?? [])]);
    const on = options.on === undefined ? undefined : dayKey(options.on);
    return [...found]
      .filter(
        (v) =>
          (options.level === undefined || v.definition.level === options.level) &&
          (options.provinceCode === undefined ||
            v.definition.provinceCode === options.provinceCode ||
            v.definition.code === options.provinceCode) &&
          (on === undefined || (v.fromKey <= on && on <= v.toKey)),
      )
      .sort((a, b) =>
        a.definition.code === b.definition.code
          ? a.fromKey - b.fromKey
          : a.definition.code < b.definition.code
            ? -1
            : 1,
      )
      .map((v) => this.describeVersion(v));
  }

  /** A pre-reform district by its GSO code. */
  district(code: string): District | undefined {
    return this.districtsByCode.get(code);
  }

  /** Every district the data holds (all pre-reform), ordered by code. */
  districts(): readonly District[] {
    return [...this.districtsByCode.values()].sort((a, b) => (a.code < b.code ? -1 : 1));
  }

  private describeVersion(v: Version): UnitRecord {
    const unit = unitOf(v);
    const dayBefore = v.validFrom === null ? undefined : v.validFrom.plusDays(-1);
    const dayAfter = v.validTo === null ? undefined : v.validTo.plusDays(1);
    return {
      unit,
      history: this.history(unit.code),
      predecessors: dayBefore
        ? v.predecessorCodes.map((code) => this.resolveUnit(code, dayBefore)!).filter(Boolean)
        : [],
      successors: dayAfter
        ? v.successorCodes.map((code) => this.resolveUnit(code, dayAfter)!).filter(Boolean)
        : [],
      today: this.follow(v, (x) => x.validTo === null),
      district: unit.districtCode === undefined ? undefined : this.districtsByCode.get(unit.districtCode),
    };
  }

  private buildNameIndex(): Map<string, Version[]> {
    const index = new Map<string, Version[]>();
    const add = (key: string, v: Version) => {
      const list = index.get(key);
      if (!list) index.set(key, [v]);
      else if (!list.includes(v)) list.push(v);
    };
    for (const versions of this.versions.values()) {
      for (const v of versions) {
        const { name, fullName } = v.definition;
        const key = searchKey(name);
        add(key, v);
        add(withoutSearchType(key), v);
        if (fullName !== undefined && fullName !== name) add(searchKey(fullName), v);
      }
    }
    return index;
  }

  private latestChangeDay(): number {
    return this.changeDays.at(-1) ?? BEGINNING;
  }

  private resolveVersion(
    start: Version,
    isThere: (v: Version) => boolean,
    asOfKey: number | undefined,
  ): AddressResolution {
    const recorded = unitOf(start);
    const succession = this.follow(start, isThere);
    if (succession.kind === 'unit') {
      const province = this.provinceOf(succession.unit, asOfKey);
      if (province !== undefined) {
        return { status: 'resolved', recorded, commune: succession.unit, province };
      }
    }
    const recordedProvince = start.definition.provinceCode;
    const provinceStart =
      recordedProvince === undefined ? undefined : this.versionAt(recordedProvince, start.fromKey);
    const provinceToday = provinceStart && this.follow(provinceStart, isThere);
    return {
      status: 'needs-recoding',
      reason: succession.kind === 'divided' && succession.units.length > 0 ? 'divided' : 'successor-unknown',
      recorded,
      candidates: succession.kind === 'divided' ? succession.units : [succession.unit],
      province: provinceToday?.kind === 'unit' ? provinceToday.unit : undefined,
    };
  }

  /** The province a commune lies in on `asOfKey`, or on the latest map. */
  private provinceOf(
    commune: AdministrativeUnit,
    asOfKey: number | undefined,
  ): AdministrativeUnit | undefined {
    if (commune.provinceCode === undefined) return undefined;
    const version =
      asOfKey === undefined
        ? this.versions.get(commune.provinceCode)?.find((v) => v.validTo === null)
        : this.versionAt(commune.provinceCode, asOfKey);
    return version && unitOf(version);
  }

  private follow(start: Version, isThere: (v: Version) => boolean): Succession {
    const found = new Map<string, Version>();
    const visit = (version: Version): void => {
      if (isThere(version)) {
        found.set(`${version.definition.code}@${version.fromKey}`, version);
        return;
      }
      const nextDay = version.toKey === FOREVER ? FOREVER : dayKey(version.validTo!.plusDays(1));
      for (const code of version.successorCodes) visit(this.versionAt(code, nextDay)!);
    };
    visit(start);
    const units = [...found.values()].map(unitOf);
    return units.length === 1 ? { kind: 'unit', unit: units[0]! } : { kind: 'divided', units };
  }

  private versionAt(code: string, key: number): Version | undefined {
    const versions = this.versions.get(code);
    if (versions === undefined) return undefined;
    for (let i = versions.length - 1; i >= 0; i--) {
      const v = versions[i]!;
      if (v.fromKey <= key) return key <= v.toKey ? v : undefined;
    }
    return undefined;
  }

  /** All reorganisations of one day act together: every predecessor closes before any successor opens. */
  private apply(sameDay: readonly Reorganisation[], dissolutions: readonly Dissolution[]): void {
    const effectiveFrom = (sameDay[0] ?? dissolutions[0])!.effectiveFrom;
    const dayBefore = effectiveFrom.plusDays(-1);
    const dayBeforeKey = dayKey(dayBefore);
    const mentions = new Map<string, { share: TerritoryShare; successor: UnitDefinition }[]>();
    for (const r of sameDay) {
      for (const p of r.predecessors) {
        const list = mentions.get(p.code);
        if (list) list.push({ share: p.share, successor: r.successor });
        else mentions.set(p.code, [{ share: p.share, successor: r.successor }]);
      }
    }
    for (const [code, shares] of mentions) {
      const where = `${code} on ${effectiveFrom.toString()}`;
      const version = this.versionAt(code, dayBeforeKey);
      if (!version)
        throw new InconsistentReferenceDataError(`${where}: reorganised but not in force the day before`);
      if (shares.length === 1 && shares[0]!.share !== 'whole') {
        throw new InconsistentReferenceDataError(`${where}: only part of it goes anywhere`);
      }
      if (shares.length > 1 && shares.some((s) => s.share !== 'part')) {
        throw new InconsistentReferenceDataError(`${where}: divided, so every share must be a part`);
      }
      for (const { successor } of shares) {
        if (successor.level !== version.definition.level) {
          throw new InconsistentReferenceDataError(`${where}: succeeded by a unit of another level`);
        }
      }
      this.close(version, dayBefore);
      version.successorCodes.push(...shares.map((s) => s.successor.code));
    }
    for (const d of dissolutions) {
      const where = `${d.code} on ${effectiveFrom.toString()}`;
      const version = this.versionAt(d.code, dayBeforeKey);
      if (!version || version.definition.level !== d.level) {
        throw new InconsistentReferenceDataError(`${where}: dissolved but not in force the day before`);
      }
      if (mentions.has(d.code)) {
        throw new InconsistentReferenceDataError(`${where}: dissolved and reorganised at once`);
      }
      this.close(version, dayBefore);
    }
    for (const r of sameDay) {
      this.open(
        r.successor,
        effectiveFrom,
        r.legalBasis,
        r.predecessors.map((p) => p.code),
      );
    }
  }

  private close(version: Version, lastDay: CalendarDate): void {
    version.validTo = lastDay;
    version.toKey = dayKey(lastDay);
  }

  private open(
    definition: UnitDefinition,
    validFrom: CalendarDate | null,
    legalBasis: string | undefined,
    predecessorCodes: readonly string[],
  ): void {
    const { code, name, level } = definition;
    if (!CODE_PATTERN[level].test(code))
      throw new InconsistentReferenceDataError(`${code}: not a ${level} code`);
    if (name.trim() === '' || name !== name.normalize('NFC')) {
      throw new InconsistentReferenceDataError(`${code}: name must be non-empty NFC text`);
    }
    if ((level === 'commune') !== (definition.provinceCode !== undefined)) {
      throw new InconsistentReferenceDataError(`${code}: communes, and only communes, name a province`);
    }
    const versions = this.versions.get(code) ?? [];
    if (versions.some((v) => v.validTo === null)) {
      throw new InconsistentReferenceDataError(`${code}: already held by a unit in force`);
    }
    versions.push({
      definition,
      level,
      validFrom,
      validTo: null,
      fromKey: validFrom === null ? BEGINNING : dayKey(validFrom),
      toKey: FOREVER,
      successorCodes: [],
      predecessorCodes,
      legalBasis,
      unit: undefined,
      latest: undefined,
    });
    this.versions.set(code, versions);
  }

  private checkCommunesHaveProvinces(): void {
    for (const versions of this.versions.values()) {
      for (const v of versions) {
        const provinceCode = v.definition.provinceCode;
        if (provinceCode === undefined) continue;
        const key = v.fromKey !== BEGINNING ? v.fromKey : v.toKey;
        const province =
          key !== FOREVER
            ? this.versionAt(provinceCode, key)
            : this.versions.get(provinceCode)?.find((p) => p.validTo === null);
        if (province?.definition.level !== 'province') {
          throw new InconsistentReferenceDataError(
            `${v.definition.code}: province ${provinceCode} is not in force alongside it`,
          );
        }
      }
    }
  }
}

const UNKNOWN = Object.freeze({ status: 'unknown' as const });

function unitOf(v: Version): AdministrativeUnit {
  return (v.unit ??= Object.freeze({
    code: v.definition.code,
    name: v.definition.name,
    level: v.definition.level,
    provinceCode: v.definition.provinceCode,
    validFrom: v.validFrom,
    validTo: v.validTo,
    successorCodes: Object.freeze([...v.successorCodes]),
    legalBasis: v.legalBasis,
    fullName: v.definition.fullName ?? v.definition.name,
    districtCode: v.definition.districtCode,
    predecessorCodes: Object.freeze([...v.predecessorCodes]),
  }));
}
