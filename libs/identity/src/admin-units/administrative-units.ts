import type { CalendarDate } from '../dates/calendar-date.js';
import { InconsistentReferenceDataError } from '../errors.js';
import type {
  AdministrativeReferenceData,
  AdministrativeUnit,
  Reorganisation,
  Succession,
  TerritoryShare,
  UnitDefinition,
  UnitLevel,
} from './administrative-unit.js';

const CODE_PATTERN: Record<UnitLevel, RegExp> = { province: /^\d{3}$/, commune: /^\d{5}$/ };

interface Version {
  readonly definition: UnitDefinition;
  readonly validFrom: CalendarDate | null;
  validTo: CalendarDate | null;
  readonly successorCodes: string[];
  readonly legalBasis: string | undefined;
}

/**
 * The administrative map through time, built by replaying reorganisations over the initial map.
 * Building checks the data (a merger of a unit not in force, one code held by two units at once, a
 * divided unit whose shares do not add up) so that bad reference data fails at load time.
 */
export class AdministrativeUnits {
  private readonly versions = new Map<string, Version[]>();

  constructor(data: AdministrativeReferenceData) {
    for (const definition of data.initialUnits) this.open(definition, null, undefined);
    const byDate = new Map<string, Reorganisation[]>();
    for (const r of data.reorganisations) {
      const key = r.effectiveFrom.toString();
      byDate.set(key, [...(byDate.get(key) ?? []), r]);
    }
    const days = [...byDate.keys()].sort();
    for (const day of days) this.apply(byDate.get(day)!);
    this.checkCommunesHaveProvinces();
  }

  /** The version of `code` in force on `date`, as it was then; undefined if none was. */
  resolveUnit(code: string, date: CalendarDate): AdministrativeUnit | undefined {
    const version = this.versionAt(code, date);
    return version && toUnit(version);
  }

  /** Every version `code` has had, oldest first. */
  history(code: string): readonly AdministrativeUnit[] {
    return (this.versions.get(code) ?? []).map(toUnit);
  }

  /** Whether `code` ever named a unit (of `level`, if given) in this data. */
  isKnownCode(code: string, level?: UnitLevel): boolean {
    return (this.versions.get(code) ?? []).some((v) => level === undefined || v.definition.level === level);
  }

  /** The units in force on `date`, ordered by code. */
  unitsInForce(date: CalendarDate, level?: UnitLevel): readonly AdministrativeUnit[] {
    return [...this.versions.keys()]
      .sort()
      .map((code) => this.versionAt(code, date))
      .filter((v): v is Version => v !== undefined && (level === undefined || v.definition.level === level))
      .map(toUnit);
  }

  /** The units of the latest map in the data (every reorganisation applied), ordered by code. */
  currentUnits(level?: UnitLevel): readonly AdministrativeUnit[] {
    return [...this.versions.values()]
      .map((versions) => versions.at(-1)!)
      .filter((v) => v.validTo === null && (level === undefined || v.definition.level === level))
      .sort((a, b) => (a.definition.code < b.definition.code ? -1 : 1))
      .map(toUnit);
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
    const start = this.versionAt(code, recordedAt);
    return start && this.follow(start, (v) => v.validTo === null || !date.isAfter(v.validTo));
  }

  /** Like `successorAt`, on the latest map in the data: where an old address lies today. */
  currentSuccessor(code: string, recordedAt: CalendarDate): Succession | undefined {
    const start = this.versionAt(code, recordedAt);
    return start && this.follow(start, (v) => v.validTo === null);
  }

  private follow(start: Version, isThere: (v: Version) => boolean): Succession {
    const found = new Map<string, Version>();
    const visit = (version: Version): void => {
      if (isThere(version)) {
        found.set(`${version.definition.code}@${String(version.validFrom)}`, version);
        return;
      }
      const nextDay = version.validTo!.plusDays(1);
      for (const code of version.successorCodes) visit(this.versionAt(code, nextDay)!);
    };
    visit(start);
    const units = [...found.values()].map(toUnit);
    return units.length === 1 ? { kind: 'unit', unit: units[0]! } : { kind: 'divided', units };
  }

  private versionAt(code: string, date: CalendarDate): Version | undefined {
    return this.versions
      .get(code)
      ?.find(
        (v) =>
          (v.validFrom === null || !v.validFrom.isAfter(date)) &&
          (v.validTo === null || !date.isAfter(v.validTo)),
      );
  }

  /** All reorganisations of one day act together: every predecessor closes before any successor opens. */
  private apply(sameDay: readonly Reorganisation[]): void {
    const effectiveFrom = sameDay[0]!.effectiveFrom;
    const dayBefore = effectiveFrom.plusDays(-1);
    const mentions = new Map<string, { share: TerritoryShare; successor: UnitDefinition }[]>();
    for (const r of sameDay) {
      for (const p of r.predecessors) {
        mentions.set(p.code, [...(mentions.get(p.code) ?? []), { share: p.share, successor: r.successor }]);
      }
    }
    for (const [code, shares] of mentions) {
      const where = `${code} on ${effectiveFrom.toString()}`;
      const version = this.versionAt(code, dayBefore);
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
      version.validTo = dayBefore;
      version.successorCodes.push(...shares.map((s) => s.successor.code));
    }
    for (const r of sameDay) this.open(r.successor, effectiveFrom, r.legalBasis);
  }

  private open(
    definition: UnitDefinition,
    validFrom: CalendarDate | null,
    legalBasis: string | undefined,
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
    versions.push({ definition, validFrom, validTo: null, successorCodes: [], legalBasis });
    this.versions.set(code, versions);
  }

  private checkCommunesHaveProvinces(): void {
    for (const versions of this.versions.values()) {
      for (const v of versions) {
        const provinceCode = v.definition.provinceCode;
        if (provinceCode === undefined) continue;
        const day = v.validFrom ?? v.validTo;
        const province = day
          ? this.versionAt(provinceCode, day)
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

function toUnit(v: Version): AdministrativeUnit {
  return {
    code: v.definition.code,
    name: v.definition.name,
    level: v.definition.level,
    provinceCode: v.definition.provinceCode,
    validFrom: v.validFrom,
    validTo: v.validTo,
    successorCodes: [...v.successorCodes],
    legalBasis: v.legalBasis,
  };
}
