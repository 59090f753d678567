import {
  ADMINISTRATIVE_UNITS,
  CalendarDate,
  DomainValidationError,
  normalizeName,
  type FieldViolation,
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

  date(
    field: string,
    text: string | undefined,
    today: CalendarDate,
    options: { allowFuture?: boolean } = {},
  ) {
    if (!text) {
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

  text(field: string, value: string | undefined, maxLength = 200): string | undefined {
    const trimmed = value?.trim() ?? '';
    if (trimmed.length === 0) {
      this.add(field, 'REQUIRED', 'a value is required');
      return undefined;
    }
    if (trimmed.length > maxLength) {
      this.add(field, 'TOO_LONG', `at most ${maxLength} characters`);
      return undefined;
    }
    return trimmed;
  }

  name(field: string, name: Partial<NameData> | undefined): NameData | undefined {
    const familyName = this.catching(() => normalizeName(name?.familyName ?? '', `${field}.familyName`));
    const givenName = this.catching(() => normalizeName(name?.givenName ?? '', `${field}.givenName`));
    const middle = name?.middleName?.trim() ?? '';
    const middleName = middle === '' ? '' : this.catching(() => normalizeName(middle, `${field}.middleName`));
    if (familyName === undefined || givenName === undefined || middleName === undefined) return undefined;
    return { familyName, middleName, givenName };
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
    if (!address) {
      this.add(field, 'REQUIRED', 'an address is required');
      return undefined;
    }
    if (on === 'ever') {
      const versions = ADMINISTRATIVE_UNITS.history(address.communeCode ?? '');
      const version = versions.find((u) => u.provinceCode === address.provinceCode) ?? versions[0];
      return this.address(
        field,
        address,
        version?.validFrom ?? version?.validTo ?? CalendarDate.of(2000, 1, 1),
      );
    }
    const province = ADMINISTRATIVE_UNITS.resolveUnit(address.provinceCode ?? '', on);
    if (!province || province.level !== 'province') {
      this.add(
        `${field}.provinceCode`,
        'UNKNOWN_UNIT',
        'no province with this code was in force on that date',
      );
      return undefined;
    }
    const commune = ADMINISTRATIVE_UNITS.resolveUnit(address.communeCode ?? '', on);
    if (!commune || commune.level !== 'commune') {
      this.add(`${field}.communeCode`, 'UNKNOWN_UNIT', 'no commune with this code was in force on that date');
      return undefined;
    }
    if (commune.provinceCode !== province.code) {
      this.add(`${field}.communeCode`, 'WRONG_PROVINCE', 'the commune is not in the province given');
      return undefined;
    }
    const detail = (address.detail ?? '').trim();
    if (detail.length > 300) {
      this.add(`${field}.detail`, 'TOO_LONG', 'at most 300 characters');
      return undefined;
    }
    return { provinceCode: province.code, communeCode: commune.code, detail };
  }

  oneOf<T extends string>(field: string, value: string | undefined, allowed: readonly T[]): T | undefined {
    if (value !== undefined && (allowed as readonly string[]).includes(value)) return value as T;
    this.add(field, 'NOT_ALLOWED', `one of ${allowed.join(', ')}`);
    return undefined;
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new InvalidCitizenCommandError(this.list);
  }
}
