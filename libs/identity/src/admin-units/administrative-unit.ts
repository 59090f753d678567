import type { CalendarDate } from '../dates/calendar-date.js';

/** Since mid-2025 there are two levels: province (tỉnh, thành phố) and commune (xã, phường, đặc khu). */
export type UnitLevel = 'province' | 'commune';

/** What defines a unit, before it is placed in time. */
export interface UnitDefinition {
  /**
   * Provinces: three digits, the code the personal identification number uses (Circular 07/2016,
   * Appendix 1; the statistics office writes the same number with two digits). Communes: the
   * statistics office's five-digit code. Codes are reused: a new unit often takes a predecessor's.
   */
  readonly code: string;
  /** With diacritics, in Unicode NFC. */
  readonly name: string;
  readonly level: UnitLevel;
  /** Communes only: the province the commune belongs to. */
  readonly provinceCode?: string;
  /**
   * The name with the unit's type, as the lists write it: "Thành phố Hà Nội", "Tỉnh Đồng Nai". For
   * communes the same as `name`, which already carries it ("Phường Phúc Xá"). Defaults to `name`.
   */
  readonly fullName?: string;
  /** Communes before 2025-07-01: the district (GSO code, three digits) the commune belonged to. */
  readonly districtCode?: string;
}

/**
 * One version of a unit: its name and place from `validFrom` to `validTo`. A reorganisation closes
 * versions and opens new ones; it never edits a closed version, so an address keeps meaning what it
 * meant on the day it was recorded.
 */
export interface AdministrativeUnit {
  readonly code: string;
  readonly name: string;
  readonly level: UnitLevel;
  /** Communes: the province in force alongside this version. Undefined for provinces. */
  readonly provinceCode: string | undefined;
  /** First day in force; null when in force since before the reference data begins. */
  readonly validFrom: CalendarDate | null;
  /** Last day in force; null while still in force. */
  readonly validTo: CalendarDate | null;
  /**
   * Codes of the units that took over the territory the day after `validTo`; more than one when the
   * unit was divided. Empty while in force.
   */
  readonly successorCodes: readonly string[];
  /** The act that created this version; undefined for versions the data starts with. */
  readonly legalBasis: string | undefined;
  /** `name` with the unit's type: "Thành phố Hồ Chí Minh", "Phường Thủ Dầu Một". */
  readonly fullName: string;
  /** Communes before 2025-07-01: their district (see `AdministrativeUnits.district`). */
  readonly districtCode: string | undefined;
  /**
   * Codes of the units whose territory this version took over on `validFrom` (itself, for a
   * rename or a unit carried over); empty for versions the data starts with.
   */
  readonly predecessorCodes: readonly string[];
}

/** How much of a predecessor's territory went to one successor. */
export type TerritoryShare = 'whole' | 'part';

/**
 * The event that changes the map: on `effectiveFrom` the predecessors cease and `successor` begins.
 * A merger names several predecessors; a rename names one with the same code; a predecessor divided
 * among several successors appears, as a `part`, in one reorganisation per successor. No predecessors
 * means an establishment whose predecessors this data set does not hold.
 */
export interface Reorganisation {
  readonly effectiveFrom: CalendarDate;
  readonly legalBasis: string;
  readonly successor: UnitDefinition;
  readonly predecessors: readonly { readonly code: string; readonly share: TerritoryShare }[];
}

/**
 * A unit that ceases on `effectiveFrom` with no successor the data can name: its territory went
 * somewhere, but the published text that says where could not be matched (see
 * docs/admin-units-succession.md). An address there needs recoding by a person.
 */
export interface Dissolution {
  readonly effectiveFrom: CalendarDate;
  readonly legalBasis: string;
  readonly code: string;
  readonly level: UnitLevel;
}

/**
 * A district (quận, huyện, thị xã, thành phố thuộc tỉnh): the middle level abolished on
 * 2025-07-01. Not a unit an address is coded by here (communes carry `districtCode`), but part of
 * how pre-reform addresses were written.
 */
export interface District {
  /** GSO code, three digits (a different numbering from the three-digit province codes). */
  readonly code: string;
  /** "Quận Ba Đình", "Thành phố Thủ Dầu Một" */
  readonly name: string;
  readonly provinceCode: string;
  /** Last day in force; null while in force. */
  readonly validTo: CalendarDate | null;
  /**
   * A district with no communes (an island district) became a special zone (đặc khu): that commune
   * code. Empty otherwise: its communes carry their own succession.
   */
  readonly successorCodes: readonly string[];
}

/** A map as it stood when the data begins, and every change since. */
export interface AdministrativeReferenceData {
  readonly initialUnits: readonly UnitDefinition[];
  readonly reorganisations: readonly Reorganisation[];
  readonly dissolutions?: readonly Dissolution[];
  readonly districts?: readonly District[];
}

/**
 * Where an old unit's territory lies at a later date: one unit, or several when the unit was
 * divided and only the street address can tell which one an address now belongs to. `divided`
 * with no units: the unit ceased and the data names no successor (a `Dissolution`).
 */
export type Succession =
  | { readonly kind: 'unit'; readonly unit: AdministrativeUnit }
  | { readonly kind: 'divided'; readonly units: readonly AdministrativeUnit[] };

/**
 * An address's commune (recorded on a date) on today's map, or the map of a given day.
 *
 * - `resolved`: one unit holds all of the recorded commune's territory.
 * - `needs-recoding`: only the street address can tell, so a person must choose: the commune was
 *   divided among `candidates` (`divided`), or ceased with no successor the data can name
 *   (`successor-unknown`, no candidates). Never resolved by picking one.
 * - `unknown`: no commune had that code on that date.
 */
export type AddressResolution =
  | {
      readonly status: 'resolved';
      /** The commune as it was when the address was recorded. */
      readonly recorded: AdministrativeUnit;
      readonly commune: AdministrativeUnit;
      readonly province: AdministrativeUnit;
    }
  | {
      readonly status: 'needs-recoding';
      readonly reason: 'divided' | 'successor-unknown';
      readonly recorded: AdministrativeUnit;
      readonly candidates: readonly AdministrativeUnit[];
      /** The province the address lies in: the recorded province's successor. */
      readonly province: AdministrativeUnit | undefined;
    }
  | { readonly status: 'unknown' };

/** A province (recorded on a date) on today's map: provinces merged whole, so never divided here. */
export type ProvinceResolution =
  | {
      readonly status: 'resolved';
      readonly recorded: AdministrativeUnit;
      readonly province: AdministrativeUnit;
    }
  | {
      readonly status: 'needs-recoding';
      readonly recorded: AdministrativeUnit;
      readonly candidates: readonly AdministrativeUnit[];
    }
  | { readonly status: 'unknown' };

/** One version of a unit with what came before and after it: what `cancuoc units` shows. */
export interface UnitRecord {
  readonly unit: AdministrativeUnit;
  /** Every version the unit's code has had, oldest first (codes are reused: check the names). */
  readonly history: readonly AdministrativeUnit[];
  /** The versions this one took territory from, as they stood the day before it began. */
  readonly predecessors: readonly AdministrativeUnit[];
  /** The versions that took its territory the day after it ended; empty while in force. */
  readonly successors: readonly AdministrativeUnit[];
  /** Where it lies on the latest map: itself while in force. */
  readonly today: Succession;
  /** Communes before 2025-07-01: their district. */
  readonly district: District | undefined;
}
