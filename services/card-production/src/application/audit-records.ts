import type { AuditRecord } from '@cancuoc/audit';
import type { CardJob } from '../domain/card/state.js';
import { SERVICE_ACTOR } from './actor.js';

/** The register's fields a card is made of, by name (values never reach the audit log). */
const REGISTER_FIELDS = [
  'personal_id',
  'family_name',
  'middle_name',
  'given_name',
  'birth_date',
  'sex',
  'nationality',
  'ethnicity',
  'religion',
  'home_town',
  'permanent_residence',
] as const;

const PERSONALISATION = 'identity card personalisation (Law on Identification 26/2023/QH15, Art. 24)';
const ENCODING = 'identity card chip encoding';
const OPERATIONS = 'identity card production operations';

/**
 * The audit records of card production's accesses to personal data, each about the card's holder
 * (the register's opaque citizen id), so that the citizen's report of who received their data lists
 * them (`AuditLog.forSubject`).
 */
export const auditRecords = {
  portraitFetched: (job: CardJob): AuditRecord => ({
    actor: SERVICE_ACTOR,
    action: 'portrait.fetched',
    purpose: PERSONALISATION,
    subjectId: job.request.citizenId,
    fields: ['face'],
    detail: { cardId: job.request.cardId, applicationId: job.request.applicationId },
  }),
  registerDataRead: (job: CardJob): AuditRecord => ({
    actor: SERVICE_ACTOR,
    action: 'register-data.read',
    purpose: PERSONALISATION,
    subjectId: job.request.citizenId,
    fields: [...REGISTER_FIELDS],
    detail: { cardId: job.request.cardId },
  }),
  chipFilesReleased: (job: CardJob, leaseId: string, stationId: string): AuditRecord => ({
    actor: `station:${stationId}`,
    action: 'chip-files.released',
    purpose: ENCODING,
    subjectId: job.request.citizenId,
    fields: [...REGISTER_FIELDS, 'face'],
    detail: { cardId: job.request.cardId, leaseId },
  }),
  cardRead: (job: CardJob, actor: string, rpc: string): AuditRecord => ({
    actor,
    action: 'card.read',
    purpose: OPERATIONS,
    subjectId: job.request.citizenId,
    fields: ['document_number', 'issue_date', 'expiry_date'],
    detail: { cardId: job.request.cardId, rpc },
  }),
};
