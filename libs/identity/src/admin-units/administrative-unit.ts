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

/** A map as it stood when the data begins, and every change since. */
export interface AdministrativeReferenceData {
  readonly initialUnits: readonly UnitDefinition[];
  readonly reorganisations: readonly Reorganisation[];
}

/**
 * Where an old unit's territory lies at a later date: one unit, or several when the unit was
 * divided and only the street address can tell which one an address now belongs to.
 */
export type Succession =
  | { readonly kind: 'unit'; readonly unit: AdministrativeUnit }
  | { readonly kind: 'divided'; readonly units: readonly AdministrativeUnit[] };
