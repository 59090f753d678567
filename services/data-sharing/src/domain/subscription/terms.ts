import type { FieldViolation } from '@cancuoc/identity';
import { inCatalogueOrder, isCitizenField, isSensitive, type CitizenField } from '../catalogue/fields.js';
import { currentProvinceOf } from '../units/current-province.js';

/** How an agency receives its view. */
export type Delivery = 'kafka' | 'grpc' | 'kafka-and-grpc';
export const DELIVERIES: readonly Delivery[] = ['kafka', 'grpc', 'kafka-and-grpc'];

/**
 * How VerifyIdentity compares a claimed full name with the register's: `exact` — the same name
 * after NFC normalisation and whitespace collapsed — or `loose`, ignoring case, diacritics,
 * apostrophes and hyphens too. Loose is the wider of the two: choosing it needs a second
 * administrator's approval, like any widening.
 */
export type NameMatching = 'exact' | 'loose';
export const NAME_MATCHINGS: readonly NameMatching[] = ['exact', 'loose'];

/** Which citizens a subscription covers. */
export interface Scope {
  /** Provinces of permanent residence as requested (sorted); empty for the whole country. */
  readonly provinceCodes: readonly string[];
  readonly aliveOnly: boolean;
  /** Completed years, inclusive; null for no bound. */
  readonly minAge: number | null;
  readonly maxAge: number | null;
}

/** What a subscription allows: always in normal form (see `normalTerms`), so equal terms are equal. */
export interface Terms {
  /** In catalogue order. */
  readonly fields: readonly CitizenField[];
  /** The explicit legal basis of each sensitive field in `fields`, in catalogue order. */
  readonly sensitiveBases: readonly { readonly field: CitizenField; readonly legalBasis: string }[];
  readonly scope: Scope;
  readonly delivery: Delivery;
  /**
   * Only ever `loose` in normal form: absent means exact, as in terms recorded before the option
   * existed. Read it with {@link nameMatchingOf}.
   */
  readonly nameMatching?: 'loose';
}

/** The name matching of terms, `exact` unless they chose `loose`. */
export const nameMatchingOf = (terms: { readonly nameMatching?: NameMatching }): NameMatching =>
  terms.nameMatching ?? 'exact';

/** Terms as a command gives them: any order, unchecked. */
export interface TermsInput {
  readonly fields: readonly string[];
  readonly sensitiveBases: readonly { readonly field: string; readonly legalBasis: string }[];
  readonly scope: {
    readonly provinceCodes: readonly string[];
    readonly aliveOnly: boolean;
    readonly minAge: number | null;
    readonly maxAge: number | null;
  };
  /** Undefined when not given. */
  readonly delivery: string | undefined;
  /** `exact` when absent; anything but `exact` and `loose` is refused. */
  readonly nameMatching?: string | undefined;
}

const MAX_AGE = 150;
const MAX_BASIS = 500;
/** No subscription needs more than the catalogue's fields or today's and the old provinces. */
export const MAX_TERM_ITEMS = 100;

/** Today's provinces the scope's codes lie in, sorted; empty for the whole country. */
export function resolvedProvinces(scope: Scope): string[] {
  return [...new Set(scope.provinceCodes.map((c) => currentProvinceOf(c)!))].sort();
}

/**
 * Checks terms and brings them to normal form: fields in catalogue order, each sensitive field with
 * its own legal basis and no basis for anything else, province codes that name one province of
 * today's map, an age range that is one. Every violation is reported, under `prefix`.
 */
export function normalTerms(
  input: TermsInput,
  prefix: string,
): { terms: Terms; violations: [] } | { violations: FieldViolation[] } {
  const violations: FieldViolation[] = [];
  const add = (field: string, reason: string, description: string) =>
    violations.push({ field: `${prefix}${field}`, reason, description });

  const tooMany = (field: string, list: readonly unknown[]) => {
    if (list.length <= MAX_TERM_ITEMS) return false;
    add(field, 'TOO_MANY', `at most ${MAX_TERM_ITEMS}`);
    return true;
  };
  if (
    [
      tooMany('fields', input.fields),
      tooMany('sensitiveFieldBases', input.sensitiveBases),
      tooMany('scope.provinceCodes', input.scope.provinceCodes),
    ].some(Boolean)
  )
    return { violations };

  const fields: CitizenField[] = [];
  input.fields.forEach((f, i) => {
    if (!isCitizenField(f)) add(`fields[${i}]`, 'UNKNOWN_FIELD', 'not a field of the catalogue');
    else if (fields.includes(f)) add(`fields[${i}]`, 'DUPLICATE', 'the field is named twice');
    else fields.push(f);
  });
  if (input.fields.length === 0) add('fields', 'REQUIRED', 'a subscription allows at least one field');

  const bases = new Map<CitizenField, string>();
  input.sensitiveBases.forEach((b, i) => {
    const at = `sensitiveFieldBases[${i}]`;
    const basis = b.legalBasis.trim();
    if (!isCitizenField(b.field)) add(`${at}.field`, 'UNKNOWN_FIELD', 'not a field of the catalogue');
    else if (!isSensitive(b.field))
      add(`${at}.field`, 'NOT_SENSITIVE', 'only sensitive fields take a legal basis of their own');
    else if (!fields.includes(b.field))
      add(`${at}.field`, 'FIELD_NOT_REQUESTED', 'the field is not among the fields requested');
    else if (bases.has(b.field)) add(`${at}.field`, 'DUPLICATE', 'the field is named twice');
    else if (basis === '') add(`${at}.legalBasis`, 'REQUIRED', 'name the provision that allows it');
    else if (basis.length > MAX_BASIS) add(`${at}.legalBasis`, 'TOO_LONG', `at most ${MAX_BASIS} characters`);
    else bases.set(b.field, basis);
  });
  for (const field of fields) {
    if (isSensitive(field) && !input.sensitiveBases.some((b) => b.field === field)) {
      add(
        'sensitiveFieldBases',
        'SENSITIVE_FIELD_WITHOUT_BASIS',
        `${field} is sensitive: it needs an explicit legal basis of its own`,
      );
    }
  }

  const provinceCodes: string[] = [];
  input.scope.provinceCodes.forEach((code, i) => {
    const at = `scope.provinceCodes[${i}]`;
    if (!/^\d{3}$/.test(code)) add(at, 'INVALID_FORMAT', 'a three-digit province code');
    else if (currentProvinceOf(code) === undefined)
      add(at, 'UNKNOWN_PROVINCE', 'no province of today’s map corresponds to this code');
    else if (provinceCodes.includes(code)) add(at, 'DUPLICATE', 'the province is named twice');
    else provinceCodes.push(code);
  });
  const age = (name: 'minAge' | 'maxAge') => {
    const value = input.scope[name];
    if (value === null) return null;
    if (!Number.isInteger(value) || value < 0 || value > MAX_AGE) {
      add(`scope.${name}`, 'OUT_OF_RANGE', `an age from 0 to ${MAX_AGE}`);
      return null;
    }
    return value;
  };
  const minAge = age('minAge');
  const maxAge = age('maxAge');
  if (minAge !== null && maxAge !== null && minAge > maxAge)
    add('scope.maxAge', 'EMPTY_RANGE', 'the maximum age is below the minimum');

  const delivery = DELIVERIES.find((d) => d === input.delivery);
  if (input.delivery === undefined) add('delivery', 'REQUIRED', 'kafka, grpc or both');
  else if (!delivery) add('delivery', 'INVALID_VALUE', 'kafka, grpc or both');
  const nameMatching = NAME_MATCHINGS.find((m) => m === (input.nameMatching ?? 'exact'));
  if (!nameMatching) add('nameMatching', 'INVALID_VALUE', 'exact or loose');

  if (violations.length > 0) return { violations };
  const ordered = inCatalogueOrder(fields);
  return {
    violations: [],
    terms: {
      fields: ordered,
      sensitiveBases: ordered
        .filter((f) => bases.has(f))
        .map((f) => ({ field: f, legalBasis: bases.get(f)! })),
      scope: { provinceCodes: provinceCodes.sort(), aliveOnly: input.scope.aliveOnly, minAge, maxAge },
      delivery: delivery!,
      // Exact is the absence of the option, as in terms recorded before it existed.
      ...(nameMatching === 'loose' && { nameMatching }),
    },
  };
}

const channels = (d: Delivery): ReadonlySet<'kafka' | 'grpc'> =>
  new Set(d === 'kafka-and-grpc' ? ['kafka', 'grpc'] : [d]);

export const deliversKafka = (d: Delivery) => channels(d).has('kafka');
export const deliversGrpc = (d: Delivery) => channels(d).has('grpc');

/** Whether `to` covers no citizen `from` did not. */
function scopeNarrows(from: Scope, to: Scope): boolean {
  if (from.provinceCodes.length > 0) {
    if (to.provinceCodes.length === 0) return false;
    const allowed = new Set(resolvedProvinces(from));
    if (!resolvedProvinces(to).every((p) => allowed.has(p))) return false;
  }
  if (from.aliveOnly && !to.aliveOnly) return false;
  if (from.minAge !== null && (to.minAge === null || to.minAge < from.minAge)) return false;
  if (from.maxAge !== null && (to.maxAge === null || to.maxAge > from.maxAge)) return false;
  return true;
}

/**
 * Whether `to` allows nothing that `from` did not: no new field, no new citizen, no new channel,
 * no other legal basis for a sensitive field it keeps, and no looser name matching. Such a change can take effect without
 * a second administrator; anything else widens the terms and must be approved.
 */
export function narrows(from: Terms, to: Terms): boolean {
  if (!to.fields.every((f) => from.fields.includes(f))) return false;
  for (const basis of to.sensitiveBases) {
    if (from.sensitiveBases.find((b) => b.field === basis.field)?.legalBasis !== basis.legalBasis)
      return false;
  }
  const fromChannels = channels(from.delivery);
  if (![...channels(to.delivery)].every((c) => fromChannels.has(c))) return false;
  if (nameMatchingOf(to) === 'loose' && nameMatchingOf(from) !== 'loose') return false;
  return scopeNarrows(from.scope, to.scope);
}

/** Equal terms (both in normal form; compared member by member, as stored JSON has its own key order). */
export function sameTerms(a: Terms, b: Terms): boolean {
  const list = (xs: readonly string[]) => xs.join('\u0000');
  return (
    list(a.fields) === list(b.fields) &&
    list(a.sensitiveBases.map((x) => `${x.field}=${x.legalBasis}`)) ===
      list(b.sensitiveBases.map((x) => `${x.field}=${x.legalBasis}`)) &&
    list(a.scope.provinceCodes) === list(b.scope.provinceCodes) &&
    a.scope.aliveOnly === b.scope.aliveOnly &&
    a.scope.minAge === b.scope.minAge &&
    a.scope.maxAge === b.scope.maxAge &&
    a.delivery === b.delivery &&
    nameMatchingOf(a) === nameMatchingOf(b)
  );
}
