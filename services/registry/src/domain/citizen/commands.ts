import type { AddressData, CorrectableField, MaritalStatus, NameData, Sex } from './events.js';
import type { FamilyRules, Relatives } from './family-rules.js';

/**
 * Every command carries the register's today, and the family rules in force (the law's ages; the
 * defaults without them), so the rules stay pure functions of their input.
 */
interface Dated {
  readonly today: string;
  readonly rules?: FamilyRules;
}

/**
 * What the register holds of the other records a command names (parents, a spouse), loaded by the
 * application before it decides; required by `decide` when the command names any.
 */
interface WithRelatives {
  readonly relatives?: Relatives;
}

export type CitizenCommand =
  | (Dated &
      WithRelatives & {
        readonly type: 'RegisterCitizen';
        /** Allocated by the register for a birth, or the existing number of an imported person. */
        readonly personalId: string;
        readonly registration: 'birth' | 'initial-collection';
        readonly name: Partial<NameData>;
        readonly birthDate: string;
        readonly sex: Sex | undefined;
        readonly nationality: string;
        readonly ethnicity: string;
        readonly religion: string;
        readonly birthPlace: Partial<AddressData> | undefined;
        readonly homeTown: Partial<AddressData> | undefined;
        readonly permanentResidence: Partial<AddressData> | undefined;
        readonly fatherCitizenId: string | null;
        readonly motherCitizenId: string | null;
      })
  | (Dated & { readonly type: 'ChangeName'; readonly name: Partial<NameData>; readonly reason: string })
  | (Dated & {
      readonly type: 'RegisterPermanentResidence';
      readonly address: Partial<AddressData> | undefined;
      readonly since: string;
    })
  | (Dated & {
      readonly type: 'RegisterTemporaryResidence';
      readonly address: Partial<AddressData> | undefined;
      readonly from: string;
      readonly until: string | null;
    })
  | (Dated & { readonly type: 'EndTemporaryResidence'; readonly endedOn: string })
  | (Dated &
      WithRelatives & {
        readonly type: 'RecordParents';
        readonly fatherCitizenId: string | null;
        readonly motherCitizenId: string | null;
      })
  | (Dated &
      WithRelatives & {
        readonly type: 'ChangeMaritalStatus';
        readonly status: MaritalStatus | undefined;
        readonly spouseCitizenId: string | null;
        readonly since: string;
      })
  | (Dated & { readonly type: 'RecordDeath'; readonly dateOfDeath: string; readonly certificateRef: string })
  | (Dated & {
      readonly type: 'CorrectField';
      readonly field: CorrectableField | undefined;
      /** The corrected value, in the field's own shape (a name, a date, an address, …). */
      readonly value: unknown;
      readonly reason: string;
      readonly evidenceRef: string;
    })
  | (Dated & {
      /** A clerk's choice of the commune of today a permanent residence in a divided commune lies in. */
      readonly type: 'RecodeResidence';
      readonly communeCode: string;
    })
  | (Dated & {
      readonly type: 'RecordVerification';
      readonly verifiedBy: string;
      readonly outcome: 'confirmed' | 'discrepancy' | undefined;
      readonly note: string;
    });
