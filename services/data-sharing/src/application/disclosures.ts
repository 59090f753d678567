import type { AuditLog } from '@cancuoc/audit';
import type { Database } from '@cancuoc/eventstore';
import { isCitizenField, type CitizenField } from '../domain/catalogue/fields.js';
import type { CitizenKey } from './agency-queries.js';
import { CitizenNotVisibleError, InvalidRequestError } from './errors.js';

export type DisclosureChannel = 'kafka' | 'query' | 'verification';

/** One time an agency received (or checked) some of a citizen's fields. */
export interface DisclosureEntry {
  readonly agency: string;
  readonly purpose: string;
  readonly fields: readonly CitizenField[];
  readonly channel: DisclosureChannel;
  /** RFC 3339. */
  readonly at: string;
}

const CHANNELS: Readonly<Record<string, DisclosureChannel>> = {
  'partner.delivery': 'kafka',
  'citizen.read': 'query',
  'identity.verify': 'verification',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The data subject's right to know who received their data (Law 91/2025/QH15), from the audit log:
 * every delivery and every answer, with the agency, its purpose and the fields. Producing the
 * report is itself an access, and is recorded.
 */
export class DisclosureReports {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
  ) {}

  async report(key: CitizenKey, actor: string): Promise<DisclosureEntry[]> {
    const citizenId = await this.resolve(key);
    const entries = await this.audit.forSubject(citizenId);
    const disclosures: DisclosureEntry[] = [];
    for (const e of entries) {
      const channel = CHANNELS[e.action];
      if (!channel || !e.actor.startsWith('agency:')) continue;
      disclosures.push({
        agency: e.actor.slice('agency:'.length),
        purpose: e.purpose,
        fields: e.fields.filter(isCitizenField),
        channel,
        at: e.recordedAt,
      });
    }
    await this.audit.record({
      actor,
      action: 'disclosure.report',
      purpose: 'data subject request (right to know)',
      subjectId: citizenId,
      fields: [],
      detail: { disclosures: disclosures.length },
    });
    return disclosures;
  }

  private async resolve(key: CitizenKey): Promise<string> {
    if ('citizenId' in key) {
      if (!UUID.test(key.citizenId))
        throw new InvalidRequestError([
          { field: 'citizen.citizen_id', reason: 'INVALID_FORMAT', description: 'a lower-case UUID' },
        ]);
    } else if (!/^\d{12}$/.test(key.personalId)) {
      throw new InvalidRequestError([
        { field: 'citizen.personal_id', reason: 'INVALID_FORMAT', description: 'a 12-digit number' },
      ]);
    }
    const [row] = await this.db.query<{ citizen_id: string }>(
      'SELECT citizen_id::text AS citizen_id FROM ds_citizens WHERE citizen_id = ANY($1::uuid[]) OR personal_id = ANY($2::text[]) LIMIT 1',
      ['citizenId' in key ? [key.citizenId] : [], 'personalId' in key ? [key.personalId] : []],
    );
    if (!row) throw new CitizenNotVisibleError();
    return row.citizen_id;
  }
}
