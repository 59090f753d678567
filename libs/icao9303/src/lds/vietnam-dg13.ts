import type { Dg13Entry } from './dg13.js';

/**
 * Fields of the Vietnamese card's DG13, in the register's terms. All text as printed on the card
 * (dates as the card writes them); ethnicity and religion are sensitive personal data.
 */
export interface VietnamDg13Fields {
  readonly personalIdNumber: string; // số định danh cá nhân
  readonly fullName: string; // họ, chữ đệm và tên, with diacritics
  readonly dateOfBirth: string;
  readonly sex: string;
  readonly nationality: string;
  readonly ethnicity: string; // dân tộc
  readonly religion: string; // tôn giáo
  readonly homeTown: string; // quê quán
  readonly permanentResidence: string; // nơi thường trú
  readonly identifyingMarks: string; // đặc điểm nhận dạng
  readonly issueDate: string;
  readonly expiryDate: string;
  readonly fatherName: string;
  readonly motherName: string;
  /** The 9-digit number of the old identity card (chứng minh nhân dân), if the holder had one. */
  readonly oldIdNumber?: string;
}

type SingleField = Exclude<keyof VietnamDg13Fields, 'fatherName' | 'motherName'>;

/**
 * Field numbers of the Vietnamese DG13 (reverse-engineered, *unverified*). A corrected
 * numbering is a new layout object with a new id, so cards written under the old one stay readable.
 */
export interface VietnamDg13Layout {
  readonly id: string;
  readonly fields: Readonly<Record<SingleField, number>>;
  /** The field that holds the father's then the mother's name. */
  readonly parents: number;
}

export const VIETNAM_DG13_LAYOUT_2021: VietnamDg13Layout = {
  id: 'vn-dg13-2021-samples',
  fields: {
    personalIdNumber: 1,
    fullName: 2,
    dateOfBirth: 3,
    sex: 4,
    nationality: 5,
    ethnicity: 6,
    religion: 7,
    homeTown: 8,
    permanentResidence: 9,
    identifyingMarks: 10,
    issueDate: 11,
    expiryDate: 12,
    oldIdNumber: 16,
  },
  parents: 13,
};

export function vietnamDg13Entries(data: VietnamDg13Fields, layout = VIETNAM_DG13_LAYOUT_2021): Dg13Entry[] {
  const single = Object.entries(layout.fields).flatMap(([key, field]) => {
    const value = data[key as SingleField];
    return value === undefined ? [] : [{ field, values: [value] }];
  });
  return [...single, { field: layout.parents, values: [data.fatherName, data.motherName] }].sort(
    (a, b) => a.field - b.field,
  );
}

/** The fields found in DG13 entries; fields the layout does not know are left out. */
export function readVietnamDg13(
  entries: readonly Dg13Entry[],
  layout = VIETNAM_DG13_LAYOUT_2021,
): Partial<VietnamDg13Fields> {
  const out: Partial<Record<keyof VietnamDg13Fields, string>> = {};
  for (const entry of entries) {
    if (entry.field === layout.parents) {
      out.fatherName = entry.values[0];
      out.motherName = entry.values[1];
      continue;
    }
    const key = (Object.keys(layout.fields) as SingleField[]).find((k) => layout.fields[k] === entry.field);
    if (key) out[key] = entry.values[0];
  }
  return out;
}
