import { readSqlInserts, text, type SqlRow } from './sql-rows.js';

/** One list as published: GSO codes (province 2 digits, district 3, commune 5), names as written. */
export interface SourceMap {
  /** First day in force, YYYY-MM-DD. */
  readonly validFrom: string;
  readonly provinces: readonly SourceProvince[];
  /** Empty from 2025-07-01: the district level was abolished. */
  readonly districts: readonly SourceDistrict[];
  readonly communes: readonly SourceCommune[];
}

export interface SourceProvince {
  readonly code: string;
  /** "Hà Nội" */
  readonly name: string;
  /** "Thành phố Hà Nội" */
  readonly fullName: string;
}

export interface SourceDistrict {
  readonly code: string;
  /** "Quận Ba Đình" */
  readonly fullName: string;
  readonly provinceCode: string;
}

export interface SourceCommune {
  readonly code: string;
  /** "Phường Phúc Xá" */
  readonly fullName: string;
  /** Before 2025-07-01 the district, from then on the province. */
  readonly districtCode: string | undefined;
  readonly provinceCode: string;
}

/** Reads one `import-data.sql` of the published data set. */
export function readSourceMap(validFrom: string, sql: string): SourceMap {
  const tables = readSqlInserts(sql);
  const rows = (table: string): readonly SqlRow[] => tables.get(table) ?? [];
  const provinces = rows('provinces').map((r) => ({
    code: text(r, 'code'),
    name: text(r, 'name'),
    fullName: text(r, 'full_name'),
  }));
  const districts = rows('districts').map((r) => ({
    code: text(r, 'code'),
    fullName: text(r, 'full_name'),
    provinceCode: text(r, 'province_code'),
  }));
  const provinceOfDistrict = new Map(districts.map((d) => [d.code, d.provinceCode]));
  const communes = rows('wards').map((r): SourceCommune => {
    const districtCode = r['district_code'] == null ? undefined : text(r, 'district_code');
    const provinceCode =
      districtCode === undefined ? text(r, 'province_code') : provinceOfDistrict.get(districtCode);
    if (provinceCode === undefined) throw new Error(`commune ${text(r, 'code')}: unknown district`);
    return { code: text(r, 'code'), fullName: text(r, 'full_name'), districtCode, provinceCode };
  });
  for (const [what, list] of [
    ['province', provinces],
    ['district', districts],
    ['commune', communes],
  ] as const) {
    const codes = new Set(list.map((u) => u.code));
    if (codes.size !== list.length) throw new Error(`${validFrom}: a ${what} code appears twice`);
  }
  return { validFrom, provinces, districts, communes };
}

/** One row of merger-2025/successors.sql. */
export interface SuccessorRow {
  /** The new unit's code (province 2 digits, commune 5). */
  readonly code: string;
  readonly fullName: string;
  /** Communes: the new province's code; undefined on province rows. */
  readonly provinceCode: string | undefined;
  /** `truocsapnhap`: what it was formed from, as the resolutions word it. */
  readonly formedFrom: string;
}

export function readSuccessorRows(sql: string): readonly SuccessorRow[] {
  const rows = readSqlInserts(sql).get('sapnhap_geojson_objects') ?? [];
  return rows.map((r) => ({
    code: text(r, 'ma'),
    fullName: text(r, 'ten'),
    provinceCode: r['magoc'] == null ? undefined : text(r, 'magoc'),
    formedFrom: text(r, 'truocsapnhap'),
  }));
}
