import type { CardFacts, EnrolmentFacts, RecordFacts } from '../citizen/facts.js';
import { evolveCitizen, newCitizen, type ProjectedCitizen } from '../citizen/projected-citizen.js';

export const CITIZEN_ID = '0193a000-0000-7000-8000-0000000000c1';

export function record(overrides: Partial<RecordFacts> = {}): RecordFacts {
  return {
    personalId: '001190123456',
    name: { familyName: 'Nguyễn', middleName: 'Thị Ánh', givenName: 'Đào' },
    birthDate: '1990-05-17',
    sex: 'female',
    nationality: 'VNM',
    ethnicity: 'Kinh',
    religion: 'Không',
    homeTown: { provinceCode: '001', communeCode: '00049', detail: '12 Hàng Đào' },
    birthPlace: { provinceCode: '001', communeCode: '00049', detail: '' },
    permanentResidence: { provinceCode: '001', communeCode: '00004', detail: '3 Phan Đình Phùng' },
    temporaryResidence: null,
    maritalStatus: 'single',
    fatherCitizenId: null,
    motherCitizenId: null,
    spouseCitizenId: null,
    deathDate: null,
    lastVerifiedDate: null,
    ...overrides,
  };
}

export function card(overrides: Partial<CardFacts> = {}): CardFacts {
  return {
    cardId: 'card-1',
    cardVersion: 1,
    documentNumber: '001090123',
    status: 'activated',
    issueDate: '2024-03-01',
    expiryDate: '2030-05-17',
    revocationReason: 'unspecified',
    changedAt: '2024-03-10T08:00:00Z',
    ...overrides,
  };
}

export function enrolment(overrides: Partial<EnrolmentFacts> = {}): EnrolmentFacts {
  return {
    applicationId: 'app-1',
    applicationVersion: 5,
    submitted: true,
    face: { reference: 'face-ref-1', sha256: 'ab'.repeat(32), mediaType: 'image/jpeg' },
    fingerprints: {
      reference: 'fp-ref-1',
      sha256: 'cd'.repeat(32),
      mediaType: 'application/vnd.iso.19794-2',
    },
    submittedAt: '2024-02-20T10:00:00Z',
    ...overrides,
  };
}

export function citizenWith(
  r: RecordFacts | null,
  extra: { cards?: CardFacts[]; enrolments?: EnrolmentFacts[] } = {},
) {
  let c: ProjectedCitizen = newCitizen(CITIZEN_ID);
  if (r) c = evolveCitizen(c, { type: 'RegistryRecordReceived', data: { recordVersion: 1, record: r } });
  for (const k of extra.cards ?? []) c = evolveCitizen(c, { type: 'CardReceived', data: { card: k } });
  for (const e of extra.enrolments ?? [])
    c = evolveCitizen(c, { type: 'EnrolmentReceived', data: { enrolment: e } });
  return c;
}
