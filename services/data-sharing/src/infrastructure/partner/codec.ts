import { create, equals, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { partner } from '@cancuoc/proto';
import type { CitizenField } from '../../domain/catalogue/fields.js';
import type { AddressFacts, BiometricReferenceFacts } from '../../domain/citizen/facts.js';
import type { Disclosure, FieldValues, ResidenceValue } from '../../domain/disclosure/disclose.js';
import { fieldFromProto, FIELD_TO_PROTO } from './fields.js';

type Init = MessageInitShape<typeof partner.PartnerCitizenSchema>;

const SEX = {
  male: partner.Sex.MALE,
  female: partner.Sex.FEMALE,
  unspecified: partner.Sex.UNSPECIFIED,
} as const;
const MARITAL = {
  single: partner.MaritalStatus.SINGLE,
  married: partner.MaritalStatus.MARRIED,
  divorced: partner.MaritalStatus.DIVORCED,
  widowed: partner.MaritalStatus.WIDOWED,
  unspecified: partner.MaritalStatus.UNSPECIFIED,
} as const;
const CARD_STATUS = {
  issued: partner.CardStatus.ISSUED,
  active: partner.CardStatus.ACTIVE,
  revoked: partner.CardStatus.REVOKED,
} as const;
const REVOCATION = {
  lost: partner.RevocationReason.LOST,
  stolen: partner.RevocationReason.STOLEN,
  superseded: partner.RevocationReason.SUPERSEDED,
  damaged: partner.RevocationReason.DAMAGED,
  'holder-deceased': partner.RevocationReason.HOLDER_DECEASED,
  unspecified: partner.RevocationReason.UNSPECIFIED,
} as const;

const address = (a: AddressFacts | null) =>
  a ? { provinceCode: a.provinceCode, communeCode: a.communeCode, detail: a.detail } : undefined;
const residence = (r: ResidenceValue) => ({
  address: address(r.address),
  currentProvinceCode: r.currentProvinceCode ?? '',
});
const reference = (r: BiometricReferenceFacts | null) =>
  r ? { reference: r.reference, sha256: r.sha256, mediaType: r.mediaType } : undefined;
const orAbsent = (value: string | null) => value ?? undefined;

/**
 * Sets the message field of one catalogue field. Each case reads only its own field's value, and a
 * field with no value in the disclosure is never reached: the loop below walks the disclosure's
 * fields, which are the subscription's.
 */
function setField<F extends CitizenField>(init: Init, field: F, value: FieldValues[F]): void {
  const v = value as FieldValues[CitizenField];
  switch (field) {
    case 'personal_id':
      init.personalId = v as string;
      return;
    case 'name':
      init.name = { ...(v as FieldValues['name']) };
      return;
    case 'birth_date':
      init.birthDate = v as string;
      return;
    case 'sex':
      init.sex = SEX[v as FieldValues['sex']];
      return;
    case 'nationality':
      init.nationality = v as string;
      return;
    case 'ethnicity':
      init.ethnicity = v as string;
      return;
    case 'religion':
      init.religion = v as string;
      return;
    case 'home_town':
      init.homeTown = address(v as AddressFacts | null) ?? {};
      return;
    case 'birth_place':
      init.birthPlace = address(v as AddressFacts | null) ?? {};
      return;
    case 'permanent_residence':
      init.permanentResidence = residence(v as ResidenceValue);
      return;
    case 'temporary_residence':
      init.temporaryResidence = residence(v as ResidenceValue);
      return;
    case 'marital_status':
      init.maritalStatus = MARITAL[v as FieldValues['marital_status']];
      return;
    case 'parents': {
      const p = v as FieldValues['parents'];
      init.parents = {
        fatherCitizenId: orAbsent(p.fatherCitizenId),
        motherCitizenId: orAbsent(p.motherCitizenId),
      };
      return;
    }
    case 'spouse':
      init.spouse = { spouseCitizenId: orAbsent(v as string | null) };
      return;
    case 'vital_status': {
      const s = v as FieldValues['vital_status'];
      init.vitalStatus = { deceased: s.deceased, deathDate: orAbsent(s.deathDate) };
      return;
    }
    case 'last_verified':
      init.lastVerified = { lastVerifiedDate: orAbsent(v as string | null) };
      return;
    case 'card': {
      const c = v as FieldValues['card'];
      init.card = {
        current: c
          ? {
              documentNumber: c.documentNumber,
              status: CARD_STATUS[c.status],
              issueDate: c.issueDate,
              expiryDate: orAbsent(c.expiryDate),
              revocationReason: REVOCATION[c.revocationReason ?? 'unspecified'],
            }
          : undefined,
      };
      return;
    }
    case 'biometric_references': {
      const b = v as FieldValues['biometric_references'];
      init.biometricReferences = {
        face: reference(b?.face ?? null),
        fingerprints: reference(b?.fingerprints ?? null),
      };
      return;
    }
    default: {
      const unknown: never = field;
      throw new Error(`unknown field ${unknown as string}`);
    }
  }
}

/** The contract's message of one disclosure: its fields set, every other field absent. */
export function partnerCitizen(disclosure: Disclosure): partner.PartnerCitizen {
  const init: Init = {
    citizenId: disclosure.citizenId,
    sharedFields: disclosure.fields.map((f) => FIELD_TO_PROTO[f]),
  };
  for (const field of disclosure.fields) setField(init, field, disclosure.values[field]!);
  return create(partner.PartnerCitizenSchema, init);
}

/** Deterministic bytes of the disclosure: equal disclosures give equal bytes, so views diff by bytes. */
export function encodeDisclosure(disclosure: Disclosure): Uint8Array {
  return toBinary(partner.PartnerCitizenSchema, partnerCitizen(disclosure));
}

export function decodeCitizen(bytes: Uint8Array): partner.PartnerCitizen {
  return fromBinary(partner.PartnerCitizenSchema, bytes);
}

/** The catalogue fields a record holds. */
export function sharedFieldsOf(citizen: partner.PartnerCitizen): CitizenField[] {
  return citizen.sharedFields.map(fieldFromProto).filter((f): f is CitizenField => f !== undefined);
}

/** The message field number that carries each catalogue field. */
export const FIELD_NUMBER: Readonly<Record<CitizenField, number>> = {
  personal_id: 10,
  name: 11,
  birth_date: 12,
  sex: 13,
  nationality: 14,
  ethnicity: 15,
  religion: 16,
  home_town: 17,
  birth_place: 18,
  permanent_residence: 19,
  temporary_residence: 20,
  marital_status: 21,
  parents: 22,
  spouse: 23,
  vital_status: 24,
  last_verified: 25,
  card: 26,
  biometric_references: 27,
};

/** Shared fields of `next` whose value is not what `previous` held. */
export function changedFields(
  previous: partner.PartnerCitizen,
  next: partner.PartnerCitizen,
): CitizenField[] {
  const schema = partner.PartnerCitizenSchema;
  return sharedFieldsOf(next).filter((f) => {
    const number = FIELD_NUMBER[f];
    const only = (m: partner.PartnerCitizen) => {
      const copy = create(schema, { citizenId: m.citizenId });
      const desc = schema.fields.find((d) => d.number === number)!;
      (copy as unknown as Record<string, unknown>)[desc.localName] = (
        m as unknown as Record<string, unknown>
      )[desc.localName];
      return copy;
    };
    return !equals(schema, only(previous), only(next));
  });
}

/** What the change stream says about one delivery: entered, updated or left the scope. */
export function changeMessage(
  citizenId: string,
  previous: Uint8Array | null,
  next: Uint8Array | null,
): partner.PartnerCitizenChanged {
  if (next === null)
    return create(partner.PartnerCitizenChangedSchema, {
      citizenId,
      kind: partner.PartnerChangeKind.LEFT_SCOPE,
    });
  const citizen = decodeCitizen(next);
  if (previous === null)
    return create(partner.PartnerCitizenChangedSchema, {
      citizenId,
      kind: partner.PartnerChangeKind.ENTERED_SCOPE,
      citizen,
    });
  return create(partner.PartnerCitizenChangedSchema, {
    citizenId,
    kind: partner.PartnerChangeKind.UPDATED,
    changedFields: changedFields(decodeCitizen(previous), citizen).map((f) => FIELD_TO_PROTO[f]),
    citizen,
  });
}
