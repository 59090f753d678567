import { CalendarDate } from '../dates/calendar-date.js';
import { InconsistentReferenceDataError } from '../errors.js';
import { APOSTROPHES } from '../names/apostrophes.js';
import { stripDiacritics } from '../names/transliterate.js';

/** One value of a reference list: its code, the name the register stores, other accepted spellings. */
export interface ReferenceEntry {
  readonly code: string;
  /** The name as the register records it (NFC, with diacritics). */
  readonly name: string;
  /** Other spellings accepted on input, never stored: old names, spellings without a hyphen, … */
  readonly aliases?: readonly string[];
}

/**
 * One version of a list: the entries in force from `validFrom` until the next version's
 * `validFrom`. A change (a religion recognised, a country code assigned) is a new version; an old
 * version is never edited, so what a value meant on a day can always be found again.
 */
export interface ReferenceListVersion {
  /** A short label naming the version, e.g. `1019/QĐ-TCTK (2008)`. */
  readonly version: string;
  readonly validFrom: CalendarDate;
  /** Where the entries come from (a decision, a standard), and what in them is *unverified*. */
  readonly source: string;
  readonly entries: readonly ReferenceEntry[];
}

/** How input is matched against a list. */
export type ReferenceMatching =
  /** The code only, letters compared without regard to case (`vnm` is `VNM`). */
  | 'code'
  /**
   * The code, the name or an alias, compared by {@link referenceKey}: case, diacritics, spaces,
   * hyphens and apostrophes ignored, so `Gia-rai`, `gia rai` and `Gia Rai` are one group.
   */
  | 'code-or-name';

const MAX_INPUT_LENGTH = 200;

/**
 * The key two spellings of one reference value share: lower case, no diacritics (đ as d), no
 * apostrophes, spaces, hyphens or periods. Every list checks at load that no two of its entries
 * share a key, so matching by it is never ambiguous.
 */
export function referenceKey(text: string): string {
  return stripDiacritics(text.normalize('NFC'))
    .toLowerCase()
    .replace(APOSTROPHES, '')
    .replace(/[\s\-\u2010-\u2015.]+/gu, '');
}

/**
 * A reference list the register validates against, as versioned data (the ISO 3166-1 countries,
 * the 54 ethnic groups, the recognised religions). Built once at load; inconsistent data (codes or
 * keys twice in a version, versions out of order, names not NFC) throws
 * `InconsistentReferenceDataError`, so a bad edit fails the tests, not a clerk's request.
 */
export class ReferenceList {
  private readonly ordered: readonly ReferenceListVersion[];
  private readonly indexes: readonly ReadonlyMap<string, ReferenceEntry>[];

  constructor(
    /** What the list is, for messages: `nationality`, `ethnicity`, `religion`. */
    readonly name: string,
    versions: readonly ReferenceListVersion[],
    readonly matching: ReferenceMatching,
  ) {
    if (versions.length === 0) throw new InconsistentReferenceDataError(`${name}: no version`);
    versions.forEach((v, i) => {
      const previous = versions[i - 1];
      if (previous && !v.validFrom.isAfter(previous.validFrom)) {
        throw new InconsistentReferenceDataError(`${name} ${v.version}: versions must be in date order`);
      }
    });
    this.ordered = versions;
    this.indexes = versions.map((v) => this.index(v));
  }

  /** Every version, oldest first. */
  get versions(): readonly ReferenceListVersion[] {
    return this.ordered;
  }

  /** The latest version. */
  get latest(): ReferenceListVersion {
    return this.ordered.at(-1)!;
  }

  /** The version in force on `date`; undefined before the first. */
  versionAt(date: CalendarDate): ReferenceListVersion | undefined {
    return this.ordered.findLast((v) => !v.validFrom.isAfter(date));
  }

  /** The entries in force on `date` (the latest version's without one). */
  entries(date?: CalendarDate): readonly ReferenceEntry[] {
    return (date ? this.versionAt(date) : this.latest)?.entries ?? [];
  }

  /**
   * The entry `text` names in the version in force on `date` (the latest without one), matched as
   * the list says; undefined when it names none (or is absurdly long).
   */
  lookup(text: string, date?: CalendarDate): ReferenceEntry | undefined {
    if (text.length > MAX_INPUT_LENGTH) return undefined;
    const version = date ? this.versionAt(date) : this.latest;
    if (!version) return undefined;
    const index = this.indexes[this.ordered.indexOf(version)]!;
    return index.get(this.keyOf(text.trim()));
  }

  private keyOf(text: string): string {
    return this.matching === 'code' ? text.toUpperCase() : referenceKey(text);
  }

  private index(version: ReferenceListVersion): ReadonlyMap<string, ReferenceEntry> {
    const where = `${this.name} ${version.version}`;
    const index = new Map<string, ReferenceEntry>();
    const codes = new Set<string>();
    for (const entry of version.entries) {
      if (codes.has(entry.code))
        throw new InconsistentReferenceDataError(`${where}: code ${entry.code} twice`);
      codes.add(entry.code);
      for (const text of [entry.name, ...(entry.aliases ?? [])]) {
        if (text.trim() === '' || text !== text.normalize('NFC')) {
          throw new InconsistentReferenceDataError(`${where}: ${entry.code} has a name that is not NFC text`);
        }
      }
      const spellings =
        this.matching === 'code' ? [entry.code] : [entry.code, entry.name, ...(entry.aliases ?? [])];
      for (const spelling of spellings) {
        const key = this.keyOf(spelling);
        const holder = index.get(key);
        if (holder && holder !== entry) {
          throw new InconsistentReferenceDataError(
            `${where}: "${spelling}" would name both ${holder.code} and ${entry.code}`,
          );
        }
        index.set(key, entry);
      }
    }
    return index;
  }
}

/** `CalendarDate.parse` for the data files: their dates are literals, checked when the data loads. */
export const day = (text: string): CalendarDate => CalendarDate.parse(text);
