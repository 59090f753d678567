import { ADMINISTRATIVE_UNITS, type AdministrativeUnit } from '@cancuoc/identity';
import type { CitizenRecord } from '../domain/citizen/state.js';
import { currentCommune } from './current-unit.js';

/**
 * Why a clerk was refused: the record or the units asked for lie outside their administrative unit,
 * or their token names no unit in force (and no nationwide role).
 */
export type JurisdictionRefusalReason = 'OUTSIDE_JURISDICTION' | 'NO_JURISDICTION';

/**
 * A caller acting outside their jurisdiction (PERMISSION_DENIED). The message names no record, no
 * unit and nothing the caller sent: an attempt on someone else's record learns nothing from it.
 */
export class JurisdictionRefusedError extends Error {
  override readonly name = 'JurisdictionRefusedError';
  constructor(readonly reason: JurisdictionRefusalReason) {
    super(
      reason === 'NO_JURISDICTION'
        ? 'the caller’s token names no administrative unit in force, so it may act on no record'
        : 'the record or units asked for lie outside the caller’s jurisdiction',
    );
  }
}

/** Where a record lies on today's map: its permanent residence (thường trú), resolved. */
export interface Place {
  readonly provinceCode: string | null;
  readonly communeCode: string | null;
}

/** The claims a jurisdiction is built from: a verified principal and the grant it was allowed under. */
export interface JurisdictionClaims {
  readonly roles: readonly string[];
  /** A 2-digit province code or a 5-digit commune code (the statistics office's codes). */
  readonly unit: string | undefined;
  readonly grant: { readonly limit: string };
}

type Scope =
  | { readonly kind: 'everywhere' }
  | { readonly kind: 'province'; readonly provinceCode: string }
  | { readonly kind: 'commune'; readonly provinceCode: string; readonly communeCode: string }
  | { readonly kind: 'none' };

/**
 * The part of the country a caller may act on, the one place the register decides it (the
 * `jurisdiction` limit of the platform policy, libs/auth): everywhere for a clerk with the role
 * `national` and for grants without that limit (an administrator's quality report, enrollment's
 * reads); otherwise the clerk's unit — a province, or a commune and nothing else of its province.
 * Units are those in force (the 2025 map): a record is placed by its permanent residence resolved
 * to today's units (`currentCommune`), and a token naming a unit no longer in force (Bình Dương's
 * `74`, a pre-2025 ward) gives no jurisdiction at all rather than a guessed successor's.
 */
export class Jurisdiction {
  private constructor(private readonly scope: Scope) {}

  /** No limit: a national clerk, or a grant the policy does not limit to a jurisdiction. */
  static readonly everywhere = new Jurisdiction({ kind: 'everywhere' });

  /** The jurisdiction of a caller the policy allowed. */
  static of(claims: JurisdictionClaims): Jurisdiction {
    if (claims.grant.limit !== 'jurisdiction' || claims.roles.includes('national'))
      return Jurisdiction.everywhere;
    return Jurisdiction.ofUnit(claims.unit);
  }

  /**
   * A clerk's unit: `79` is the province 079 (Hồ Chí Minh City), `25747` the commune of that code
   * in force today, within its province. Anything else, or a unit not in force, is no jurisdiction.
   */
  static ofUnit(unit: string | undefined): Jurisdiction {
    if (unit !== undefined && /^\d{2}$/.test(unit)) {
      const provinceCode = `0${unit}`;
      if (inForce(provinceCode, 'province')) return new Jurisdiction({ kind: 'province', provinceCode });
    }
    if (unit !== undefined && /^\d{5}$/.test(unit)) {
      const commune = inForce(unit, 'commune');
      if (commune?.provinceCode) {
        return new Jurisdiction({ kind: 'commune', provinceCode: commune.provinceCode, communeCode: unit });
      }
    }
    return new Jurisdiction({ kind: 'none' });
  }

  /** Whether this caller is limited at all (a limited one's searches are filtered). */
  get limited(): boolean {
    return this.scope.kind !== 'everywhere';
  }

  /** Refuses a caller with no jurisdiction before anything is looked up for them. */
  admission(): JurisdictionRefusalReason | undefined {
    return this.scope.kind === 'none' ? 'NO_JURISDICTION' : undefined;
  }

  /** Why `place` is refused, or undefined when it lies within. A record with no residence lies in no unit. */
  refusalFor(place: Place): JurisdictionRefusalReason | undefined {
    switch (this.scope.kind) {
      case 'everywhere':
        return undefined;
      case 'none':
        return 'NO_JURISDICTION';
      case 'province':
        return place.provinceCode === this.scope.provinceCode ? undefined : 'OUTSIDE_JURISDICTION';
      case 'commune':
        return place.communeCode === this.scope.communeCode ? undefined : 'OUTSIDE_JURISDICTION';
    }
  }

  /** Why a record is refused: by its permanent residence on today's map. */
  refusalForRecord(record: Pick<CitizenRecord, 'permanentResidence'>): JurisdictionRefusalReason | undefined {
    return this.refusalFor(currentCommune(record));
  }

  /** Why a search of the commune `communeCode` (in force today) is refused. */
  refusalForCommune(communeCode: string): JurisdictionRefusalReason | undefined {
    if (!this.limited) return undefined;
    const commune = inForce(communeCode, 'commune');
    return this.refusalFor({
      provinceCode: commune?.provinceCode ?? null,
      communeCode: commune ? communeCode : null,
    });
  }

  /**
   * Why a report on the province `provinceCode` (3 digits), or on one of its communes, is refused:
   * a commune clerk may ask only about their commune, not the province as a whole.
   */
  refusalForReport(provinceCode: string, communeCode: string): JurisdictionRefusalReason | undefined {
    switch (this.scope.kind) {
      case 'everywhere':
        return undefined;
      case 'none':
        return 'NO_JURISDICTION';
      case 'province':
        return provinceCode === this.scope.provinceCode ? undefined : 'OUTSIDE_JURISDICTION';
      case 'commune':
        return provinceCode === this.scope.provinceCode && communeCode === this.scope.communeCode
          ? undefined
          : 'OUTSIDE_JURISDICTION';
    }
  }

  /**
   * The condition a limited caller's search adds on `reg_citizens` (which holds each record's
   * residence resolved to today's units), as SQL on the parameter numbered `parameter`; none when
   * not limited.
   */
  searchFilter(parameter: number): { readonly sql: string; readonly value: string } | undefined {
    switch (this.scope.kind) {
      case 'everywhere':
        return undefined;
      case 'province':
        return { sql: `province_code = $${parameter}`, value: this.scope.provinceCode };
      case 'commune':
        return { sql: `commune_code = $${parameter}`, value: this.scope.communeCode };
      case 'none':
        // Never reached (refused on admission); matches nothing should it be.
        return { sql: `false AND $${parameter}::text IS NULL`, value: '' };
    }
  }
}

let current: ReadonlyMap<string, AdministrativeUnit> | undefined;

/** The unit of `code` at `level` on today's map (the reference data is fixed: built once). */
function inForce(code: string, level: 'province' | 'commune'): AdministrativeUnit | undefined {
  current ??= new Map(ADMINISTRATIVE_UNITS.currentUnits().map((u) => [`${u.level}:${u.code}`, u]));
  return current.get(`${level}:${code}`);
}
