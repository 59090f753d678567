import { createHmac } from 'node:crypto';
import type { AuditLog, AuditRecord } from '@cancuoc/audit';
import type { Database, Tx } from '@cancuoc/eventstore';
import { CalendarDate, DomainValidationError, nameComparisonKey } from '@cancuoc/identity';
import type { CitizenField } from '../domain/catalogue/fields.js';
import { currentCard, type ProjectedCitizen } from '../domain/citizen/projected-citizen.js';
import { disclose, type Disclosure } from '../domain/disclosure/disclose.js';
import type { Subscription } from '../domain/subscription/state.js';
import { deliversGrpc, nameMatchingOf, type NameMatching } from '../domain/subscription/terms.js';
import {
  AgencyRefusedError,
  CitizenNotVisibleError,
  InvalidRequestError,
  RateLimitedError,
} from './errors.js';
import type { RateLimiter } from './ports.js';
import type { ProjectionPositions } from './positions.js';

export type CitizenKey = { readonly citizenId: string } | { readonly personalId: string };

/** Who calls, for what, and how fresh the answer must be. */
export interface AgencyCall {
  readonly agency: string;
  readonly purpose: string;
  readonly minPosition?: bigint | undefined;
  readonly deadline?: Date | undefined;
}

export interface ClaimedIdentity {
  readonly fullName?: string | undefined;
  readonly birthDate?: string | undefined;
  readonly sex?: 'male' | 'female' | undefined;
  readonly nationality?: string | undefined;
  readonly cardDocumentNumber?: string | undefined;
}

export interface QueryLimits {
  /** Citizens read per agency per minute (a batch counts each of its keys). */
  readonly readsPerMinute: number;
  readonly verificationsPerMinute: number;
  /** Verifications of one personal id number per agency per day: a guessing game ends quickly. */
  readonly verificationsPerCitizenPerDay: number;
}

export interface AgencyQueriesOptions {
  readonly db: Database;
  readonly audit: AuditLog;
  readonly limiter: RateLimiter;
  readonly limits: QueryLimits;
  readonly positions: ProjectionPositions;
  readonly today: () => CalendarDate;
  /** Keys rate-limit counters by a keyed hash of the personal id, never the number itself. */
  readonly counterKey: Uint8Array;
}

export const MAX_BATCH = 100;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PERSONAL_ID = /^\d{12}$/;
const MAX_CLAIMED_NAME = 200;
const NATIONALITY = /^[A-Za-z]{3}$/;
const DOCUMENT_NUMBER = /^[A-Za-z0-9]{1,20}$/;

/** Which field each claimed attribute compares, so it must be allowed. */
const CLAIM_FIELDS: Readonly<Record<keyof ClaimedIdentity, CitizenField>> = {
  fullName: 'name',
  birthDate: 'birth_date',
  sex: 'sex',
  nationality: 'nationality',
  cardDocumentNumber: 'card',
};

interface Read {
  readonly subscription: Subscription;
  readonly position: bigint;
  readonly citizens: ReadonlyMap<string, ProjectedCitizen>;
}

function checkKey(key: CitizenKey, field: string): void {
  if ('citizenId' in key ? !UUID.test(key.citizenId) : !PERSONAL_ID.test(key.personalId)) {
    throw new InvalidRequestError([
      {
        field,
        reason: 'INVALID_FORMAT',
        description: 'a citizen id (lower-case UUID) or a 12-digit personal id number',
      },
    ]);
  }
}

const keyOf = (citizen: ProjectedCitizen, key: CitizenKey) =>
  'citizenId' in key ? citizen.citizenId === key.citizenId : citizen.record?.personalId === key.personalId;

/**
 * What agencies may ask, every answer limited to the subscription's fields and scope and every
 * access to a citizen written to the audit log in the read's own transaction: if the audit entry
 * cannot be written, nothing is answered. A citizen outside the scope is exactly as absent as one
 * who does not exist.
 */
export class AgencyQueries {
  constructor(private readonly options: AgencyQueriesOptions) {}

  async getCitizen(call: AgencyCall, key: CitizenKey): Promise<{ disclosure: Disclosure; position: bigint }> {
    checkKey(key, 'citizen');
    await this.limit(`read:${call.agency}`, this.options.limits.readsPerMinute, MINUTE, 1, 'read');
    const result = await this.read(call, [key], (tx, read, disclosures) =>
      this.audited(tx, call, read, disclosures, 'citizen.read'),
    );
    const disclosure = result.disclosures[0];
    if (!disclosure) throw new CitizenNotVisibleError();
    return { disclosure, position: result.position };
  }

  async batchGet(
    call: AgencyCall,
    keys: readonly CitizenKey[],
  ): Promise<{ disclosures: (Disclosure | null)[]; position: bigint }> {
    if (keys.length === 0 || keys.length > MAX_BATCH) {
      throw new InvalidRequestError([
        { field: 'citizens', reason: 'OUT_OF_RANGE', description: `1 to ${MAX_BATCH} citizens per batch` },
      ]);
    }
    keys.forEach((k, i) => checkKey(k, `citizens[${i}]`));
    await this.limit(`read:${call.agency}`, this.options.limits.readsPerMinute, MINUTE, keys.length, 'read');
    const result = await this.read(call, keys, (tx, read, disclosures) =>
      this.audited(tx, call, read, disclosures, 'citizen.read'),
    );
    return { disclosures: result.disclosures, position: result.position };
  }

  /**
   * Yes or no, and nothing else: a citizen outside the scope, one who does not exist and one whose
   * attributes differ all answer no. Only attributes of allowed fields may be claimed, so the
   * answer can never reveal more than a read would; and the per-citizen limit stops guessing.
   */
  async verify(
    call: AgencyCall,
    personalId: string,
    claimed: ClaimedIdentity,
  ): Promise<{ match: boolean; position: bigint }> {
    const violations: { field: string; reason: string; description: string }[] = [];
    if (!PERSONAL_ID.test(personalId))
      violations.push({ field: 'personal_id', reason: 'INVALID_FORMAT', description: 'a 12-digit number' });
    const attributes = (Object.keys(CLAIM_FIELDS) as (keyof ClaimedIdentity)[]).filter(
      (k) => claimed[k] !== undefined,
    );
    if (attributes.length === 0)
      violations.push({ field: 'claimed', reason: 'REQUIRED', description: 'claim at least one attribute' });
    violations.push(...claimViolations(claimed));
    if (violations.length > 0) throw new InvalidRequestError(violations);
    const { limits } = this.options;
    await this.limit(`verify:${call.agency}`, limits.verificationsPerMinute, MINUTE, 1, 'verification');
    const subject = createHmac('sha256', this.options.counterKey)
      .update(personalId)
      .digest('hex')
      .slice(0, 32);
    await this.limit(
      `verify:${call.agency}:${subject}`,
      limits.verificationsPerCitizenPerDay,
      DAY,
      1,
      'per-citizen verification',
    );
    const fields: CitizenField[] = ['personal_id', ...attributes.map((a) => CLAIM_FIELDS[a])];
    const result = await this.read(
      call,
      [{ personalId }],
      async (tx, read, disclosures) => {
        const citizen = [...read.citizens.values()][0];
        const nameMatching = nameMatchingOf(read.subscription.terms);
        const match = disclosures[0] ? matches(disclosures[0], citizen!, claimed, nameMatching) : false;
        if (citizen) {
          await this.options.audit.record(
            {
              actor: `agency:${call.agency}`,
              action: 'identity.verify',
              purpose: read.subscription.purpose,
              subjectId: citizen.citizenId,
              fields,
              // Which comparison a claimed name met: a loose one is on the record as loose.
              detail: {
                match,
                position: read.position.toString(),
                ...(claimed.fullName !== undefined && { nameMatching }),
              },
            },
            tx,
          );
        }
        return match;
      },
      fields,
    );
    return { match: result.outcome, position: result.position };
  }

  private async limit(
    key: string,
    limit: number,
    windowMs: number,
    cost: number,
    what: string,
  ): Promise<void> {
    const decision = await this.options.limiter.take(key, limit, windowMs, cost);
    if (!decision.allowed) throw new RateLimitedError(decision.retryAfterMs, what);
  }

  /**
   * One consistent read: the agency's subscription, the projection's position and the citizens, in
   * one statement (one snapshot), then `then` in the same transaction (the audit entry).
   */
  private async read<T>(
    call: AgencyCall,
    keys: readonly CitizenKey[],
    then: (tx: Tx, read: Read, disclosures: (Disclosure | null)[]) => Promise<T>,
    usedFields: readonly CitizenField[] = [],
  ): Promise<{ disclosures: (Disclosure | null)[]; position: bigint; outcome: T }> {
    if (call.minPosition !== undefined && call.minPosition > 0n)
      await this.options.positions.waitFor(call.minPosition, call.deadline);
    const ids = keys.flatMap((k) => ('citizenId' in k ? [k.citizenId] : []));
    const numbers = keys.flatMap((k) => ('personalId' in k ? [k.personalId] : []));
    return this.options.db.transaction(async (tx) => {
      const rows = await tx.query<{
        subscription: Subscription | null;
        position: string;
        state: ProjectedCitizen | null;
      }>(
        `SELECT s.subscription, p.position::text AS position, c.state
         FROM ds_projection p
         LEFT JOIN ds_subscriptions s ON s.agency = $1 AND s.status <> 'revoked'
         LEFT JOIN ds_citizens c ON c.citizen_id = ANY($2::uuid[]) OR c.personal_id = ANY($3::text[])
         WHERE p.projection = 'citizens'`,
        [call.agency, ids, numbers],
      );
      const subscription = rows[0]?.subscription ?? null;
      this.authorise(subscription, call, keys, usedFields);
      const read: Read = {
        subscription: subscription!,
        position: BigInt(rows[0]!.position),
        citizens: new Map(rows.filter((r) => r.state).map((r) => [r.state!.citizenId, r.state!])),
      };
      const today = this.options.today();
      const disclosures = keys.map((key) => {
        const citizen = [...read.citizens.values()].find((c) => keyOf(c, key));
        return citizen ? disclose(citizen, read.subscription.terms, today) : null;
      });
      const outcome = await then(tx, read, disclosures);
      return { disclosures, position: read.position, outcome };
    });
  }

  private authorise(
    subscription: Subscription | null,
    call: AgencyCall,
    keys: readonly CitizenKey[],
    usedFields: readonly CitizenField[],
  ): asserts subscription is Subscription {
    if (!subscription || subscription.status !== 'approved')
      throw new AgencyRefusedError('SUBSCRIPTION_NOT_ACTIVE', 'the agency has no approved subscription');
    if (!deliversGrpc(subscription.terms.delivery))
      throw new AgencyRefusedError('DELIVERY_NOT_ALLOWED', 'the subscription delivers over Kafka only');
    if (call.purpose !== subscription.purpose)
      throw new AgencyRefusedError('PURPOSE_MISMATCH', 'the stated purpose is not the subscription’s');
    const needed = new Set<CitizenField>(usedFields);
    if (keys.some((k) => 'personalId' in k)) needed.add('personal_id');
    const refused = [...needed].filter((f) => !subscription.terms.fields.includes(f));
    if (refused.length > 0)
      throw new AgencyRefusedError(
        'FIELD_NOT_ALLOWED',
        `the subscription does not allow ${refused.join(', ')}`,
        refused,
      );
  }

  private async audited(
    tx: Tx,
    call: AgencyCall,
    read: Read,
    disclosures: readonly (Disclosure | null)[],
    action: string,
  ): Promise<void> {
    const records: AuditRecord[] = [];
    const seen = new Set<string>();
    for (const d of disclosures) {
      if (!d || seen.has(d.citizenId)) continue;
      seen.add(d.citizenId);
      records.push({
        actor: `agency:${call.agency}`,
        action,
        purpose: read.subscription.purpose,
        subjectId: d.citizenId,
        fields: [...d.fields],
        detail: { channel: 'grpc', position: read.position.toString() },
      });
    }
    await this.options.audit.recordMany(records, tx);
  }
}

/** What is wrong with the claimed attributes themselves, before anything is read. */
function claimViolations(claimed: ClaimedIdentity): { field: string; reason: string; description: string }[] {
  const violations: { field: string; reason: string; description: string }[] = [];
  if (claimed.fullName !== undefined) {
    if (claimed.fullName.trim() === '')
      violations.push({
        field: 'claimed.full_name',
        reason: 'REQUIRED',
        description: 'the full name claimed',
      });
    else if (claimed.fullName.length > MAX_CLAIMED_NAME)
      violations.push({
        field: 'claimed.full_name',
        reason: 'TOO_LONG',
        description: `at most ${MAX_CLAIMED_NAME} characters`,
      });
  }
  if (claimed.birthDate !== undefined) {
    try {
      CalendarDate.parse(claimed.birthDate, 'claimed.birth_date');
    } catch (error) {
      if (!(error instanceof DomainValidationError)) throw error;
      violations.push(...error.violations);
    }
  }
  if (claimed.nationality !== undefined && !NATIONALITY.test(claimed.nationality))
    violations.push({
      field: 'claimed.nationality',
      reason: 'INVALID_FORMAT',
      description: 'an ISO 3166-1 alpha-3 code, e.g. VNM',
    });
  if (claimed.cardDocumentNumber !== undefined && !DOCUMENT_NUMBER.test(claimed.cardDocumentNumber))
    violations.push({
      field: 'claimed.card_document_number',
      reason: 'INVALID_FORMAT',
      description: '1 to 20 letters and digits',
    });
  return violations;
}

/**
 * A name as compared exactly: Unicode NFC, no leading or trailing whitespace, every run of
 * whitespace one space. Case, diacritics, apostrophes and hyphens are kept: "Huỳnh Bảo Hương" is
 * not "HUYNH BAO HUONG", nor "Huynh Bảo Hương".
 */
export const exactNameKey = (name: string) => name.normalize('NFC').replace(/\s+/gu, ' ').trim();

/** Whether a claimed full name is the recorded one, under the subscription's name matching. */
export function sameName(claimed: string, recorded: string, matching: NameMatching): boolean {
  return matching === 'loose'
    ? nameComparisonKey(claimed) === nameComparisonKey(recorded)
    : exactNameKey(claimed) === exactNameKey(recorded);
}

function matches(
  disclosure: Disclosure,
  citizen: ProjectedCitizen,
  claimed: ClaimedIdentity,
  nameMatching: NameMatching,
): boolean {
  const v = disclosure.values;
  if (claimed.fullName !== undefined) {
    const n = v.name!;
    const recorded = [n.familyName, n.middleName, n.givenName].filter((p) => p !== '').join(' ');
    if (!sameName(claimed.fullName, recorded, nameMatching)) return false;
  }
  if (claimed.birthDate !== undefined && claimed.birthDate !== v.birth_date) return false;
  if (claimed.sex !== undefined && claimed.sex !== v.sex) return false;
  if (claimed.nationality !== undefined && claimed.nationality.toUpperCase() !== v.nationality) return false;
  if (claimed.cardDocumentNumber !== undefined) {
    const card = currentCard(citizen);
    if (
      !card ||
      card.status === 'revoked' ||
      card.documentNumber !== claimed.cardDocumentNumber.toUpperCase()
    )
      return false;
  }
  return true;
}
