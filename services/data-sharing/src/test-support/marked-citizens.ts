import { randomBytes, randomUUID } from 'node:crypto';
import { MaritalStatus, Sex } from '@cancuoc/proto';
import type { CitizenField } from '../domain/catalogue/fields.js';
import type { CitizenInit, Upstream } from './upstream.js';

/**
 * A citizen whose every field holds a value found nowhere else, so that a search of the bytes an
 * agency received tells exactly which fields of whom reached it.
 */
export interface MarkedCitizen {
  readonly citizenId: string;
  readonly init: CitizenInit;
  /** The values of each catalogue field, as they travel (strings, UTF-8). */
  readonly markers: Readonly<Record<CitizenField, readonly string[]>>;
}

/** A date no other field of any citizen holds: the year says whose, month and day say which field. */
const day = (year: number, month: number, i: number) =>
  `${year + i}-${String(month).padStart(2, '0')}-${10 + month}`;

export function markedCitizen(i: number, place: { provinceCode: string; dead?: boolean }): MarkedCitizen {
  const m = (field: string) => `${field}Q${i}Z`;
  const citizenId = randomUUID();
  const father = randomUUID();
  const mother = randomUUID();
  const spouse = randomUUID();
  const init: CitizenInit = {
    personalId: `0011900${String(70_000 + i).padStart(5, '0')}`,
    familyName: m('FAM'),
    middleName: m('MID'),
    givenName: m('GIV'),
    birthDate: day(1930, 1, i),
    sex: i % 2 === 0 ? Sex.FEMALE : Sex.MALE,
    nationality: m('NAT'),
    ethnicity: m('ETH'),
    religion: m('REL'),
    homeTown: { provinceCode: '001', communeCode: '00049', detail: m('HOME') },
    birthPlace: { provinceCode: '001', communeCode: '00049', detail: m('BIRTH') },
    permanentResidence: { provinceCode: place.provinceCode, communeCode: '00004', detail: m('PERM') },
    temporaryResidence: { provinceCode: '079', communeCode: '26734', detail: m('TEMP') },
    maritalStatus: MaritalStatus.MARRIED,
    fatherCitizenId: father,
    motherCitizenId: mother,
    spouseCitizenId: spouse,
    deathDate: place.dead ? day(2025, 2, i) : '',
    lastVerifiedDate: day(2024, 4, i),
  };
  const faceSha = randomBytes(32).toString('hex');
  const fingerprintSha = randomBytes(32).toString('hex');
  return {
    citizenId,
    init,
    markers: {
      personal_id: [init.personalId!],
      name: [m('FAM'), m('MID'), m('GIV')],
      birth_date: [init.birthDate!],
      sex: [],
      nationality: [m('NAT')],
      ethnicity: [m('ETH')],
      religion: [m('REL')],
      home_town: [m('HOME')],
      birth_place: [m('BIRTH')],
      permanent_residence: [m('PERM')],
      temporary_residence: [m('TEMP')],
      marital_status: [],
      parents: [father, mother],
      spouse: [spouse],
      vital_status: place.dead ? [day(2025, 2, i)] : [],
      last_verified: [day(2024, 4, i)],
      card: [m('CARD'), day(2023, 5, i), day(2033, 6, i)],
      biometric_references: [m('FACE'), m('FPRINT'), faceSha, fingerprintSha],
    },
  };
}

/** Publishes the citizen's record, a card and an enrolment, each carrying its markers. */
export async function publishMarked(upstream: Upstream, c: MarkedCitizen): Promise<void> {
  const [face, fingerprints, faceSha256, fingerprintsSha256] = c.markers.biometric_references;
  const [documentNumber, issueDate, expiryDate] = c.markers.card;
  await upstream.publish(
    upstream.citizenRecord(c.citizenId, c.init),
    upstream.card(c.citizenId, {
      cardId: randomUUID(),
      version: 7,
      documentNumber: documentNumber!,
      issueDate,
      expiryDate,
    }),
    upstream.enrolment(c.citizenId, {
      applicationId: randomUUID(),
      version: 4,
      face: face!,
      faceSha256: faceSha256!,
      fingerprints: fingerprints!,
      fingerprintsSha256: fingerprintsSha256!,
    }),
  );
}

/** Markers found in `bytes`. */
export function found(bytes: Buffer, markers: Iterable<string>): string[] {
  return [...markers].filter((m) => bytes.includes(m));
}
