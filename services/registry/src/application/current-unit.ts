import {
  ADMINISTRATIVE_UNITS,
  CalendarDate,
  type AdministrativeUnit,
  resolveAddress,
} from '@cancuoc/identity';
import type { CitizenRecord } from '../domain/citizen/state.js';

/**
 * Where a record's permanent residence lies on today's map, beside the address as recorded (never
 * rewritten):
 *
 * - `resolved`: the recorded commune (of the residence's date) has one successor today;
 * - `recoded`: it was divided and a clerk chose the successor (`ResidenceRecoded`);
 * - `needs-recoding`: it was divided (`divided`, the successors in `candidates`) or ceased with no
 *   successor the data names (`successor-unknown`): only the province is known;
 * - `none`: no permanent residence, or a code no commune had on its date.
 */
export type ResidenceToday =
  | {
      readonly status: 'resolved' | 'recoded';
      readonly recorded: AdministrativeUnit;
      readonly commune: AdministrativeUnit;
      readonly province: AdministrativeUnit;
    }
  | {
      readonly status: 'needs-recoding';
      readonly reason: 'divided' | 'successor-unknown';
      readonly recorded: AdministrativeUnit;
      readonly candidates: readonly AdministrativeUnit[];
      readonly province: AdministrativeUnit | undefined;
    }
  | { readonly status: 'none' };

const NONE = Object.freeze({ status: 'none' as const });

/** The residence's units on the latest map, from the one resolution libs/identity gives. */
export function residenceToday(record: Pick<CitizenRecord, 'permanentResidence'>): ResidenceToday {
  const residence = record.permanentResidence;
  if (!residence) return NONE;
  const resolution = resolveAddress(residence.communeCode, CalendarDate.parse(residence.since));
  if (resolution.status === 'unknown') return NONE;
  if (resolution.status === 'resolved') return resolution;
  if (residence.recodedTo) {
    const chosen = resolveAddress(
      residence.recodedTo.communeCode,
      CalendarDate.parse(residence.recodedTo.on),
    );
    if (chosen.status === 'resolved') {
      return {
        status: 'recoded',
        recorded: resolution.recorded,
        commune: chosen.commune,
        province: chosen.province,
      };
    }
  }
  return resolution;
}

/**
 * The units a record's permanent residence lies in today (as the read model and jurisdictions place
 * it): an address recorded before a merger resolves to its successor, without rewriting the
 * recorded address. A divided commune cannot be resolved from its code alone until a clerk recodes
 * it: until then only its province is known and the record is queued for recoding.
 */
export function currentCommune(record: Pick<CitizenRecord, 'permanentResidence'>): Place {
  return placeOf(residenceToday(record));
}

/** Today's province and commune of a residence (the commune unknown while it needs recoding). */
export interface Place {
  readonly provinceCode: string | null;
  readonly communeCode: string | null;
  readonly needsRecoding: boolean;
}

/** {@link currentCommune} of a residence already resolved. */
export function placeOf(today: ResidenceToday): Place {
  switch (today.status) {
    case 'none':
      return { provinceCode: null, communeCode: null, needsRecoding: false };
    case 'resolved':
    case 'recoded':
      return { provinceCode: today.province.code, communeCode: today.commune.code, needsRecoding: false };
    case 'needs-recoding':
      return { provinceCode: today.province?.code ?? null, communeCode: null, needsRecoding: true };
  }
}

/** A unit's code and name, as the API shows it. */
export const unitName = (u: AdministrativeUnit) => ({ code: u.code, name: u.fullName });

/** Whether `code` named a commune at any time in the reference data. */
export const everACommune = (code: string) => ADMINISTRATIVE_UNITS.isKnownCode(code, 'commune');
