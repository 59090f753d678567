import {
  ADMINISTRATIVE_UNITS,
  CalendarDate,
  DomainValidationError,
  normalizeNameParts,
  type AdministrativeUnit,
  type FieldViolation,
  type ReferenceList,
} from '@cancuoc/identity';
import type { AddressData, NameData } from './events.js';
import { InvalidCitizenCommandError } from './errors.js';

/**
 * Collects every violation of a command before refusing it, so a clerk sees all that is wrong at
 * once. Each `check*` returns the cleaned value, or undefined after recording why it is refused.
 */
export class Violations {
  private readonly list: FieldViolation[] = [];

  add(field: string, reason: string, description: string): void {
    this.list.push({ field, reason, description });
  }

  /** Runs a check from the shared kernel, keeping its violations. */
  catching<T>(work: () => T): T | undefined {
    try {
      return work();
    } catch (error) {
      if (error instanceof DomainValidationError) {
        this.list.push(...error.violations);
        return undefined;
      }
      throw error;
    }
  }

  /**
   * A `YYYY-MM-DD` date that exists (`INVALID_DATE_FORMAT`, `INVALID_DATE`), not after `today`
   * unless `allowFuture` (`IN_FUTURE`).
   */
  date(
    field: string,
    text: string | undefined,
    today: CalendarDate,
    options: { allowFuture?: boolean } = {},
  ) {
    if (typeof text !== 'string' || !text) {
      this.add(field, 'REQUIRED', 'a date is required');
      return undefined;
    }
    const date = this.catching(() => CalendarDate.parse(text, field));
    if (date && !options.allowFuture && date.isAfter(today)) {
      this.add(field, 'IN_FUTURE', 'the date is in the future');
      return undefined;
    }
    return date;
  }

  /** Required text, trimmed, at most `maxLength` characters (code points): `REQUIRED`, `TOO_LONG`. */
  text(field: string, value: string | undefined, maxLength = 200): string | undefined {
    const trimmed = this.optionalText(field, value, maxLength);
    if (trimmed === '') this.add(field, 'REQUIRED', 'a value is required');
    return trimmed || undefined;
  }

  /** Optional text, trimmed ('' when absent), at most `maxLength` characters: `TOO_LONG`. */
  optionalText(field: string, value: string | undefined, maxLength: number): string | undefined {
    const trimmed = typeof value === 'string' ? value.trim() : '';
    if (trimmed.length > maxLength && [...trimmed].length > maxLength) {
      this.add(field, 'TOO_LONG', `at most ${maxLength} characters`);
      return undefined;
    }
    return trimmed;
  }

  /**
   * A name in parts, by the one set of name rules (`normalizeNameParts` in libs/identity): family
   * and given names required, each part at most 50 characters of letters, spaces, apostrophes and
   * hyphens, writable in the card's MRZ.
   */
  name(field: string, name: Partial<NameData> | undefined): NameData | undefined {
    return this.catching(() =>
      normalizeNameParts(typeof name === 'object' && name !== null ? name : undefined, field),
    );
  }

  /**
   * A value of a versioned reference list, in the version in force on `on`: its stored form (the
   * code for nationalities, the name for ethnic groups and religions), or `reason` when the list has
   * no such value.
   */
  reference(
    field: string,
    value: string | undefined,
    list: ReferenceList,
    on: CalendarDate,
    reason: string,
  ): string | undefined {
    if (typeof value !== 'string' || value.trim() === '') {
      this.add(field, 'REQUIRED', 'a value is required');
      return undefined;
    }
    const entry = list.lookup(value, on);
    if (!entry) {
      this.add(
        field,
        reason,
        `not a value of the ${list.name} list (${list.versionAt(on)?.version ?? 'none'})`,
      );
      return undefined;
    }
    return list.matching === 'code' ? entry.code : entry.name;
  }

  /**
   * The commune must be in force on `on` and belong to the province given. `ever` accepts a unit of
   * any time, for places named as they were (a home town, quê quán, keeps its old unit).
   */
  address(
    field: string,
    address: Partial<AddressData> | undefined,
    on: CalendarDate | 'ever',
  ): AddressData | undefined {
    if (typeof address !== 'object' || address === null) {
      this.add(field, 'REQUIRED', 'an address is required');
      return undefined;
    }
    if (on === 'ever') {
      const versions = ADMINISTRATIVE_UNITS.history(
        typeof address.communeCode === 'string' ? address.communeCode : '',
      );
      const version = versions.find((u) => u.provinceCode === address.provinceCode) ?? versions[0];
      return this.address(
        field,
        address,
        version?.validFrom ?? version?.validTo ?? CalendarDate.of(2000, 1, 1),
      );
    }
    const code = (value: unknown) => (typeof value === 'string' ? value : '');
    const province = ADMINISTRATIVE_UNITS.resolveUnit(code(address.provinceCode), on);
    if (!province || province.level !== 'province') {
      this.add(
        `${field}.provinceCode`,
        'UNKNOWN_UNIT',
        'no province with this code was in force on that date',
      );
      return undefined;
    }
    const commune = ADMINISTRATIVE_UNITS.resolveUnit(code(address.communeCode), on);
    if (!commune || commune.level !== 'commune') {
      this.add(`${field}.communeCode`, 'UNKNOWN_UNIT', 'no commune with this code was in force on that date');
      return undefined;
    }
    if (commune.provinceCode !== province.code) {
      this.add(`${field}.communeCode`, 'WRONG_PROVINCE', 'the commune is not in the province given');
      return undefined;
    }
    const detail = this.optionalText(`${field}.detail`, address.detail, 300);
    if (detail === undefined) return undefined;
    return { provinceCode: province.code, communeCode: commune.code, detail };
  }

  /**
   * A commune in force on `on`, by its five-digit code: `REQUIRED`, `INVALID_FORMAT`, or
   * `UNKNOWN_UNIT` when no commune of that code was in force that day.
   */
  commune(field: string, code: unknown, on: CalendarDate): AdministrativeUnit | undefined {
    if (typeof code !== 'string' || code === '') {
      this.add(field, 'REQUIRED', 'a commune code is required');
      return undefined;
    }
    if (!/^\d{5}$/.test(code)) {
      this.add(field, 'INVALID_FORMAT', 'a commune code is 5 digits');
      return undefined;
    }
    const commune = ADMINISTRATIVE_UNITS.resolveUnit(code, on);
    if (commune?.level !== 'commune') {
      this.add(field, 'UNKNOWN_UNIT', 'no commune with this code was in force on that date');
      return undefined;
    }
    return commune;
  }

  oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T | undefined {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    this.add(field, 'NOT_ALLOWED', `one of ${allowed.join(', ')}`);
    return undefined;
  }

  get any(): boolean {
    return this.list.length > 0;
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new InvalidCitizenCommandError(this.list);
  }
}
