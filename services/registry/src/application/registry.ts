import { createHash } from 'node:crypto';
import type { AuditEntry, AuditLog } from '@cancuoc/audit';
import {
  CommandHandler,
  WrongExpectedVersionError,
  newEventId,
  type EventStore,
  type Tx,
} from '@cancuoc/eventstore';
import {
  ADMINISTRATIVE_UNITS,
  CalendarDate,
  decodePageToken,
  DomainValidationError,
  encodePageToken,
  FULL_NAME_MAX_LENGTH,
  isRecordId,
  generatePersonalId,
  nameComparisonKey,
  normalizeName,
  type FieldViolation,
  type RandomSource,
} from '@cancuoc/identity';
import type { CitizenCommand } from '../domain/citizen/commands.js';
import { checkRegistration, citizenDecider, validate } from '../domain/citizen/decider.js';
import { CitizenNotFoundError } from '../domain/citizen/errors.js';
import type { CitizenEvent } from '../domain/citizen/events.js';
import { DEFAULT_FAMILY_RULES, type FamilyRules, type Relatives } from '../domain/citizen/family-rules.js';
import type { CitizenRecord, CitizenState } from '../domain/citizen/state.js';
import { isStale } from '../domain/quality/rules.js';
import { CARDS_OF_CITIZEN_SQL, type CardSummary } from './cards.js';
import { CITIZEN_PROJECTION } from './citizen-projection.js';
import { residenceToday, type ResidenceToday } from './current-unit.js';
import {
  IdempotencyKeyReusedError,
  InvalidRequestError,
  PersonalIdExhaustedError,
  PersonalIdInUseError,
  StaleVersionError,
} from './errors.js';
import {
  JurisdictionRefusedError,
  type Jurisdiction,
  type JurisdictionRefusalReason,
} from './jurisdiction.js';
import type { CitizenCache, CitizenSnapshot } from './ports.js';
import { loadRelatives, loadWithAncestors } from './relatives.js';

export interface RegistryOptions {
  readonly store: EventStore;
  readonly cache: CitizenCache;
  /** The register's today (Vietnam's calendar day); injected so tests can fix it. */
  readonly today: () => CalendarDate;
  readonly random: RandomSource;
  /** A record neither verified nor registered for this many days is reported stale. */
  readonly staleAfterDays: number;
  /** Where every read of personal data is recorded: who, why, whose record, which fields. */
  readonly audit: AuditLog;
  /** The ages the family rules turn on; the law's (and the register's default) without it. */
  readonly familyRules?: FamilyRules;
}

/** Who calls, and the part of the country they may act on. */
export interface Caller {
  /** Recorded on events and in the audit log: the token's subject. */
  readonly actor: string;
  /** Checked by every use case on the records it touches; {@link Jurisdiction.everywhere} for none. */
  readonly jurisdiction: Jurisdiction;
}

/** Who reads personal data, and the purpose they state; both go to the audit log. */
export interface Access extends Caller {
  readonly purpose: string;
}

/** The fields a full read of a record discloses, as the audit log names them. */
export const RECORD_FIELDS = [
  'personal_id',
  'name',
  'birth_date',
  'sex',
  'nationality',
  'ethnicity',
  'religion',
  'home_town',
  'birth_place',
  'permanent_residence',
  'temporary_residence',
  'marital_status',
  'relationships',
  'death_date',
  'last_verified_date',
  'quality_flags',
  'cards',
] as const;

/** What a search hit discloses. */
export const SUMMARY_FIELDS = ['personal_id', 'name', 'birth_date', 'commune', 'deceased'] as const;

/** Who asks, and how to recognise a retry; never personal data. */
export interface CommandContext extends Caller {
  readonly idempotencyKey?: string | undefined;
  readonly correlationId?: string | undefined;
  readonly traceparent?: string | undefined;
}

export interface CitizenRef {
  readonly personalId: string;
  readonly expectedVersion?: number | undefined;
}

export interface CommandResult {
  readonly citizenId: string;
  readonly recordVersion: number;
}

export interface Registration extends CommandResult {
  readonly personalId: string;
}

/** What the register adds to every command: its today, the family rules, the relatives it loaded. */
type Added = 'today' | 'rules' | 'relatives';

export type RegistrationFacts = Omit<
  Extract<CitizenCommand, { type: 'RegisterCitizen' }>,
  'type' | 'personalId' | 'registration' | Added
>;

/** A command for an existing record, without what the register adds. */
export type RecordCommand =
  Exclude<CitizenCommand, { type: 'RegisterCitizen' }> extends infer C
    ? C extends { today: string }
      ? Omit<C, Added>
      : never
    : never;

export interface CitizenView extends CitizenSnapshot {
  readonly openQualityFlags: readonly { kind: string; detail: string; raisedOn: string }[];
  /** The cards made for the citizen, newest first, as card production last reported them. */
  readonly cards: readonly CardSummary[];
  /** The permanent residence on today's map, beside the recorded one. */
  readonly residenceToday: ResidenceToday;
}

export interface HistoryEntry {
  readonly recordVersion: number;
  readonly change: string;
  readonly recordedAt: Date;
  readonly actor: string;
  readonly details: unknown;
}

export interface CitizenSummary {
  readonly citizenId: string;
  readonly personalId: string;
  readonly name: { familyName: string; middleName: string; givenName: string };
  readonly birthDate: string;
  readonly communeCode: string | null;
  readonly deceased: boolean;
}

export type SearchCriteria =
  | { readonly kind: 'name'; readonly fullName: string; readonly birthDate: string }
  | { readonly kind: 'commune'; readonly communeCode: string };

/** The queue of one old (pre-2025) commune, or of a province of today. */
export type RecodingScope =
  | { readonly kind: 'commune'; readonly communeCode: string }
  | { readonly kind: 'province'; readonly provinceCode: string };

/** A residence waiting for a clerk to choose its commune of today. */
export interface RecodingEntry {
  readonly citizenId: string;
  readonly personalId: string;
  readonly name: { familyName: string; middleName: string; givenName: string };
  /** As recorded, with the units of `since`. */
  readonly recorded: { provinceCode: string; communeCode: string; detail: string };
  readonly since: string;
  readonly recordedCommuneName: string;
  readonly reason: 'DIVIDED' | 'SUCCESSOR_UNKNOWN';
  /** The province it lies in today ('' when not known). */
  readonly provinceCode: string;
  readonly candidates: readonly { code: string; name: string }[];
}

/** What a recoding queue entry discloses. */
export const RECODING_FIELDS = ['personal_id', 'name', 'permanent_residence'] as const;

export interface QualityFigures {
  readonly unitCode: string;
  readonly citizens: number;
  readonly incomplete: number;
  readonly probableDuplicates: number;
  readonly stale: number;
  readonly discrepancies: number;
}

const ALLOCATION_ATTEMPTS = 20;
/** Page sizes: 50 when none is asked for; larger requests get this many (AIP-158's coercion). */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
const PERSONAL_ID = /^\d{12}$/;

/** A personal id number as a lookup names it: 12 digits (the number's own rules judge registrations). */
function checkPersonalIdFormat(personalId: string, field: string): void {
  if (!PERSONAL_ID.test(personalId)) {
    throw new InvalidRequestError([
      {
        field,
        reason: personalId === '' ? 'REQUIRED' : 'INVALID_FORMAT',
        description: 'a personal identification number is 12 digits',
      },
    ]);
  }
}

/** The list page tokens of searches are issued for. */
const SEARCH_LIST = 'registry.citizens.search';
/** The list page tokens of the recoding queue are issued for. */
const RECODING_LIST = 'registry.recoding-queue';
const isCommuneCode = (part: string) => /^\d{5}$/.test(part);

/** A page size as asked, coerced: {@link DEFAULT_PAGE_SIZE} when none, at most {@link MAX_PAGE_SIZE}. */
function pageLimit(pageSize: number): number {
  return Math.min(
    Math.max(Number.isSafeInteger(pageSize) ? pageSize : 0, 0) || DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
  );
}

/** A validated search, ready to run. */
interface SearchQuery {
  readonly criteria: SearchCriteria;
  readonly where: { readonly sql: string; readonly params: readonly unknown[] };
  /** What page tokens of this search are bound to: its criteria (a digest of them is in the token). */
  readonly filter: readonly string[];
  readonly limit: number;
  readonly after: string | undefined;
}

export const citizenStream = (citizenId: string) => `citizen-${citizenId}`;

/**
 * A request's fingerprint under its idempotency key. The actor is part of it, so a key replays a
 * result only to whoever made the request — never past the jurisdiction check to another caller.
 */
function requestHash(method: string, actor: string, request: unknown): string {
  return createHash('sha256').update(method).update(actor).update(JSON.stringify(request)).digest('hex');
}

const HANDLER_OPTIONS = {
  maxAttempts: 5,
  snapshots: { every: 50, type: 'citizen', schemaVersion: 1 },
} as const;

/** A record, or units, outside the caller's jurisdiction: thrown where it is found, refused by `enforce`. */
class OutsideJurisdiction extends Error {
  constructor(
    readonly reason: JurisdictionRefusalReason,
    /** The record concerned, for the data subject's access log; null when none exists. */
    readonly citizenId: string | null,
  ) {
    super(reason);
  }
}

/** What a refused attempt is recorded as in the audit log. */
interface Attempt {
  /** The action it would have been (`citizen.read`); recorded as `<action>.refused`. */
  readonly action: string;
  /** The stated purpose, or for a command the command (which is its legal basis). */
  readonly purpose: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/**
 * The register's use cases. Every command runs in one transaction that also claims its idempotency
 * key and, for a registration, the personal id number, so a crash leaves either all of it or none.
 */
export class Registry {
  private readonly handler: CommandHandler<CitizenState, CitizenCommand, CitizenEvent>;

  constructor(private readonly options: RegistryOptions) {
    this.handler = new CommandHandler(options.store, citizenDecider, HANDLER_OPTIONS);
  }

  private get store(): EventStore {
    return this.options.store;
  }

  /**
   * Registers a birth and allocates a fresh personal id number for the child. The facts are judged
   * before the database is touched, the parents in the transaction before a number is drawn.
   */
  registerBirth(facts: RegistrationFacts, context: CommandContext): Promise<Registration> {
    const attempt = { action: 'citizen.register', purpose: 'RegisterBirth' };
    return this.enforce(context, attempt, async () => {
      const command = this.registration(facts, '', 'birth');
      validate(command, { withoutNumber: true });
      this.withinAsRegistered(context.jurisdiction, facts);
      return this.idempotent('RegisterBirth', facts, context, async (tx) => {
        const citizenId = newEventId();
        const relatives = await this.parentsOf(citizenId, facts, tx);
        checkRegistration({ ...command, relatives }, { withoutNumber: true });
        const birthDate = CalendarDate.parse(facts.birthDate, 'birthDate');
        const provinceCode = facts.birthPlace!.provinceCode!;
        for (let attempt = 0; attempt < ALLOCATION_ATTEMPTS; attempt++) {
          const personalId = generatePersonalId(
            provinceCode,
            facts.sex!,
            birthDate,
            this.options.random,
          ).value;
          if (await this.claimPersonalId(tx, personalId, citizenId)) {
            return this.register(tx, citizenId, { ...command, personalId, relatives }, context);
          }
        }
        throw new PersonalIdExhaustedError();
      });
    });
  }

  /**
   * Registers a living person under the number they already hold (initial collection). The number
   * (12 digits, a known province, the century-and-sex digit and year agreeing with the birth date and
   * sex) and the facts are judged before the database is touched, the parents before the number is
   * claimed: an invalid number is never stored, nor told apart from a free one by ALREADY_EXISTS.
   */
  registerExisting(
    facts: RegistrationFacts,
    personalId: string,
    context: CommandContext,
  ): Promise<Registration> {
    const attempt = { action: 'citizen.register', purpose: 'RegisterExistingCitizen' };
    return this.enforce(context, attempt, async () => {
      const command = this.registration(facts, personalId, 'initial-collection');
      validate(command);
      this.withinAsRegistered(context.jurisdiction, facts);
      return this.idempotent('RegisterExistingCitizen', { facts, personalId }, context, async (tx) => {
        const citizenId = newEventId();
        const relatives = await this.parentsOf(citizenId, facts, tx);
        checkRegistration({ ...command, relatives });
        if (!(await this.claimPersonalId(tx, personalId, citizenId))) throw new PersonalIdInUseError();
        return this.register(tx, citizenId, { ...command, relatives }, context);
      });
    });
  }

  /** The `RegisterCitizen` command for `facts`, with what the register adds. */
  private registration(
    facts: RegistrationFacts,
    personalId: string,
    registration: 'birth' | 'initial-collection',
  ): Extract<CitizenCommand, { type: 'RegisterCitizen' }> {
    return {
      ...facts,
      type: 'RegisterCitizen',
      personalId,
      registration,
      today: this.options.today().toString(),
      rules: this.familyRules,
    };
  }

  private get familyRules(): FamilyRules {
    return this.options.familyRules ?? DEFAULT_FAMILY_RULES;
  }

  /**
   * A registration by a limited clerk, judged by the residence it would record before anything is
   * looked up (the command handler judges the record it creates again, in the transaction).
   */
  private withinAsRegistered(jurisdiction: Jurisdiction, facts: RegistrationFacts): void {
    if (!jurisdiction.limited) return;
    const residence = facts.permanentResidence as CitizenRecord['permanentResidence'] | undefined;
    const since = this.options.today().toString();
    this.within(jurisdiction, { permanentResidence: residence ? { ...residence, since } : null }, null);
  }

  /** The parents a registration names, as the register holds them now. */
  private async parentsOf(citizenId: string, facts: RegistrationFacts, tx: Tx): Promise<Relatives> {
    const ids = [facts.fatherCitizenId, facts.motherCitizenId].filter((id) => id !== null);
    return { self: citizenId, records: await loadRelatives(this.store, ids, tx) };
  }

  /**
   * The other records a command on `citizenId` names, loaded for the family rules: the parents it
   * records; for a marriage, the spouse and the parents and grandparents of both (close relatives).
   */
  private async relativesFor(
    command: RecordCommand,
    citizenId: string,
    tx: Tx,
  ): Promise<Relatives | undefined> {
    if (command.type === 'RecordParents') {
      const ids = [command.fatherCitizenId, command.motherCitizenId].filter((id) => id !== null);
      return { self: citizenId, records: await loadRelatives(this.store, ids, tx) };
    }
    if (command.type === 'ChangeMaritalStatus' && command.spouseCitizenId) {
      const { state } = await this.handler.load(citizenStream(citizenId), tx);
      const own =
        state.status === 'unregistered' ? [] : [state.record.fatherCitizenId, state.record.motherCitizenId];
      const start = [command.spouseCitizenId, ...own.filter((id) => id !== null)];
      return { self: citizenId, records: await loadWithAncestors(this.store, start, 2, tx) };
    }
    return undefined;
  }

  /**
   * Runs a command on an existing record: refused, before anything is appended, when the record as
   * loaded for the command lies outside the caller's jurisdiction.
   */
  execute(ref: CitizenRef, command: RecordCommand, context: CommandContext): Promise<CommandResult> {
    const attempt = { action: 'citizen.command', purpose: command.type };
    return this.enforce(context, attempt, async () => {
      checkPersonalIdFormat(ref.personalId, 'citizen.personalId');
      const dated = { ...command, today: this.options.today().toString(), rules: this.familyRules };
      // The command's own input first: a malformed one is refused before the database is touched.
      validate(dated as CitizenCommand);
      return this.idempotent(command.type, { ref, command }, context, async (tx) => {
        const citizenId = await this.citizenIdOf(ref.personalId, tx);
        const relatives = await this.relativesFor(command, citizenId, tx);
        try {
          const result = await this.handlerFor(context.jurisdiction, citizenId).handle(
            citizenStream(citizenId),
            { ...dated, ...(relatives && { relatives }) } as CitizenCommand,
            { metadata: this.metadata(context), tx, expectedVersion: ref.expectedVersion },
          );
          return { citizenId, recordVersion: result.streamVersion };
        } catch (error) {
          if (error instanceof WrongExpectedVersionError && ref.expectedVersion !== undefined) {
            throw new StaleVersionError(ref.expectedVersion, error.actual);
          }
          throw error;
        }
      });
    });
  }

  /** The record and its open quality flags; the read is audited before the record is returned. */
  getCitizen(personalId: string, access: Access): Promise<CitizenView> {
    return this.enforce(access, { action: 'citizen.read', purpose: access.purpose }, () => {
      checkPersonalIdFormat(personalId, 'personalId');
      return this.readCitizen(personalId, access);
    });
  }

  private async readCitizen(personalId: string, access: Access): Promise<CitizenView> {
    const [row] = await this.store.db.query<{
      citizen_id: string;
      version: number;
      flags: Array<{ kind: string; detail: string; raised_on: string }> | null;
      cards: CardSummary[] | null;
    }>(
      `SELECT p.citizen_id, s.version,
              (SELECT json_agg(json_build_object('kind', f.kind, 'detail', f.detail, 'raised_on', f.raised_on))
               FROM reg_quality_flags f WHERE f.citizen_id = p.citizen_id) AS flags,
              ${CARDS_OF_CITIZEN_SQL} AS cards
       FROM reg_personal_ids p JOIN es_streams s ON s.stream_id = 'citizen-' || p.citizen_id
       WHERE p.personal_id = $1`,
      [personalId],
    );
    if (!row) throw new CitizenNotFoundError();
    const snapshot =
      (await this.options.cache.get(row.citizen_id, row.version)) ?? (await this.load(row.citizen_id));
    this.within(access.jurisdiction, snapshot.record, row.citizen_id);
    const flags = (row.flags ?? []).map((f) => ({ kind: f.kind, detail: f.detail, raisedOn: f.raised_on }));
    const today = this.options.today();
    if (!snapshot.deceased && isStale(snapshot.record, today, this.options.staleAfterDays)) {
      flags.push({
        kind: 'STALE',
        detail: `not verified for over ${this.options.staleAfterDays} days`,
        raisedOn: today.toString(),
      });
    }
    await this.audited(access, 'citizen.read', [row.citizen_id], RECORD_FIELDS, { version: row.version });
    return {
      ...snapshot,
      openQualityFlags: flags,
      cards: row.cards ?? [],
      residenceToday: residenceToday(snapshot.record),
    };
  }

  history(personalId: string, access: Access): Promise<HistoryEntry[]> {
    return this.enforce(access, { action: 'citizen.history', purpose: access.purpose }, async () => {
      checkPersonalIdFormat(personalId, 'personalId');
      const citizenId = await this.citizenIdOf(personalId);
      const { events } = await this.store.readStream(citizenStream(citizenId));
      // Placed by the record as the events make it now, as a command would load it.
      const state = events.reduce(
        (s, e) => citizenDecider.evolve(s, e as unknown as CitizenEvent),
        citizenDecider.initialState(),
      );
      if (state.status !== 'unregistered') this.within(access.jurisdiction, state.record, citizenId);
      await this.audited(access, 'citizen.history', [citizenId], [...RECORD_FIELDS, 'history']);
      return events.map((e) => ({
        recordVersion: e.streamVersion,
        change: e.type,
        recordedAt: e.recordedAt,
        actor: e.metadata.actor,
        details: e.data,
      }));
    });
  }

  /**
   * Citizens matching `criteria`, a page at a time. A caller limited to a unit finds only citizens
   * residing within it, and a search of a commune outside it is refused.
   */
  search(
    criteria: SearchCriteria,
    pageSize: number,
    pageToken: string,
    access: Access,
  ): Promise<{ citizens: CitizenSummary[]; nextPageToken: string }> {
    const attempt = {
      action: 'citizen.search',
      purpose: access.purpose,
      detail: { criteria: criteria.kind },
    };
    return this.enforce(access, attempt, () =>
      this.searchWithin(this.searchQuery(criteria, pageSize, pageToken), access),
    );
  }

  /**
   * A search's criteria, page size and token, judged before the database is touched: a name the
   * register could hold (`normalizeName`'s rules) with a `YYYY-MM-DD` birth date that exists and is
   * not in the future, or a commune in force today (`UNKNOWN_UNIT`); a page token this very search
   * issued (`INVALID_PAGE_TOKEN`). Page sizes above {@link MAX_PAGE_SIZE} get that many.
   */
  private searchQuery(criteria: SearchCriteria, pageSize: number, pageToken: string): SearchQuery {
    const violations: FieldViolation[] = [];
    const collect = <T>(work: () => T): T | undefined => {
      try {
        return work();
      } catch (error) {
        if (!(error instanceof DomainValidationError)) throw error;
        violations.push(...error.violations);
        return undefined;
      }
    };
    let query: Pick<SearchQuery, 'where' | 'filter'> | undefined;
    if (criteria.kind === 'name') {
      const name = collect(() =>
        normalizeName(criteria.fullName, 'byName.fullName', { maxLength: FULL_NAME_MAX_LENGTH }),
      );
      const birthDate = collect(() => this.pastDate(criteria.birthDate, 'byName.birthDate'));
      if (name !== undefined && birthDate) {
        const key = nameComparisonKey(name);
        query = {
          where: { sql: 'name_key = $1 AND birth_date = $2::date', params: [key, birthDate.toString()] },
          filter: ['name', key, birthDate.toString()],
        };
      }
    } else if (this.unitInForce(criteria.communeCode, 'commune', 'byCommune.communeCode', violations)) {
      query = {
        where: { sql: 'commune_code = $1 AND $2::text IS NULL', params: [criteria.communeCode, null] },
        filter: ['commune', criteria.communeCode],
      };
    }
    const after =
      query && pageToken !== ''
        ? collect(() => decodePageToken(pageToken, SEARCH_LIST, query.filter, [isRecordId])[0])
        : undefined;
    if (violations.length > 0 || !query) throw new InvalidRequestError(violations);
    return { criteria, ...query, limit: pageLimit(pageSize), after };
  }

  /** A `YYYY-MM-DD` day that exists and is not after the register's today. */
  private pastDate(text: string, field: string): CalendarDate {
    const date = CalendarDate.parse(text, field);
    if (date.isAfter(this.options.today())) {
      throw new InvalidRequestError([
        { field, reason: 'IN_FUTURE', description: 'the date is in the future' },
      ]);
    }
    return date;
  }

  /**
   * Whether `code` names a unit of `level` in force today (the map `reg_citizens` resolves residences
   * to): `INVALID_FORMAT` or `UNKNOWN_UNIT` in `violations` when not.
   */
  private unitInForce(
    code: string,
    level: 'province' | 'commune',
    field: string,
    violations: FieldViolation[],
  ): ReturnType<typeof ADMINISTRATIVE_UNITS.resolveUnit> {
    const digits = level === 'province' ? 3 : 5;
    if (!new RegExp(`^\\d{${digits}}$`).test(code)) {
      violations.push({
        field,
        reason: 'INVALID_FORMAT',
        description: `a ${level} code is ${digits} digits`,
      });
      return undefined;
    }
    const unit = ADMINISTRATIVE_UNITS.resolveUnit(code, this.options.today());
    if (unit?.level !== level) {
      violations.push({
        field,
        reason: 'UNKNOWN_UNIT',
        description: `no ${level} with this code is in force`,
      });
      return undefined;
    }
    return unit;
  }

  private async searchWithin(
    query: SearchQuery,
    access: Access,
  ): Promise<{ citizens: CitizenSummary[]; nextPageToken: string }> {
    const { criteria, where, limit } = query;
    if (criteria.kind === 'commune') {
      const refusal = access.jurisdiction.refusalForCommune(criteria.communeCode);
      if (refusal) throw new OutsideJurisdiction(refusal, null);
    }
    const after = query.after ?? '00000000-0000-0000-0000-000000000000';
    const within = access.jurisdiction.searchFilter(5);
    const rows = await this.store.db.query<{
      citizen_id: string;
      personal_id: string;
      record: CitizenSnapshot['record'];
      commune_code: string | null;
      deceased: boolean;
    }>(
      `SELECT citizen_id, personal_id, record, commune_code, deceased FROM reg_citizens
       WHERE ${where.sql} AND citizen_id > $3::uuid ${within ? `AND ${within.sql}` : ''}
       ORDER BY citizen_id LIMIT $4`,
      [...where.params, after, limit + 1, ...(within ? [within.value] : [])],
    );
    const page = rows.slice(0, limit);
    await this.audited(
      access,
      'citizen.search',
      page.map((r) => r.citizen_id),
      SUMMARY_FIELDS,
      { criteria: criteria.kind },
    );
    return {
      citizens: page.map((r) => ({
        citizenId: r.citizen_id,
        personalId: r.personal_id,
        name: r.record.name,
        birthDate: r.record.birthDate,
        communeCode: r.commune_code,
        deceased: r.deceased,
      })),
      nextPageToken:
        rows.length > limit ? encodePageToken(SEARCH_LIST, query.filter, [page.at(-1)!.citizen_id]) : '',
    };
  }

  /**
   * The recoding queue of an old commune (every citizen whose residence was recorded in it and
   * still needs recoding) or of a province of today, a page at a time, by old commune then record.
   * A caller limited to a unit sees only citizens placed within it (a province clerk the queue of
   * their province; a commune's queue has no commune of today yet), and asking for another
   * province's queue is refused. Each citizen returned is audited as disclosed.
   */
  recodingQueue(
    scope: RecodingScope,
    pageSize: number,
    pageToken: string,
    access: Access,
  ): Promise<{ entries: RecodingEntry[]; nextPageToken: string }> {
    const attempt = {
      action: 'citizen.recoding-queue',
      purpose: access.purpose,
      detail: { scope: scope.kind },
    };
    return this.enforce(access, attempt, async () => {
      const query = this.recodingQuery(scope, pageSize, pageToken);
      if (scope.kind === 'province') {
        const refusal = access.jurisdiction.refusalForReport(scope.provinceCode, '');
        if (refusal) throw new OutsideJurisdiction(refusal, null);
      }
      const within = access.jurisdiction.searchFilter(5);
      const rows = await this.store.db.query<{
        citizen_id: string;
        personal_id: string;
        record: CitizenRecord;
        recorded_commune_code: string;
        reason: RecodingEntry['reason'];
        candidates: string[];
        province_code: string | null;
      }>(
        `SELECT q.citizen_id, c.personal_id, c.record, q.recorded_commune_code, q.reason, q.candidates,
                c.province_code
         FROM reg_recoding_queue q JOIN reg_citizens c USING (citizen_id)
         WHERE ${query.where} AND (q.recorded_commune_code, q.citizen_id) > ($2, $3::uuid)
           ${within ? `AND ${within.sql}` : ''}
         ORDER BY q.recorded_commune_code, q.citizen_id LIMIT $4`,
        [query.value, ...query.after, query.limit + 1, ...(within ? [within.value] : [])],
      );
      const page = rows.slice(0, query.limit);
      await this.audited(
        access,
        'citizen.recoding-queue',
        page.map((r) => r.citizen_id),
        RECODING_FIELDS,
        { scope: scope.kind },
      );
      const today = this.options.today();
      const last = page.at(-1);
      return {
        entries: page.map((r) => {
          const residence = r.record.permanentResidence!;
          const since = CalendarDate.parse(residence.since);
          return {
            citizenId: r.citizen_id,
            personalId: r.personal_id,
            name: r.record.name,
            recorded: {
              provinceCode: residence.provinceCode,
              communeCode: residence.communeCode,
              detail: residence.detail,
            },
            since: residence.since,
            recordedCommuneName:
              ADMINISTRATIVE_UNITS.resolveUnit(residence.communeCode, since)?.fullName ?? '',
            reason: r.reason,
            provinceCode: r.province_code ?? '',
            candidates: r.candidates.map((code) => ({
              code,
              name: ADMINISTRATIVE_UNITS.resolveUnit(code, today)?.fullName ?? '',
            })),
          };
        }),
        nextPageToken:
          rows.length > query.limit && last
            ? encodePageToken(RECODING_LIST, query.filter, [last.recorded_commune_code, last.citizen_id])
            : '',
      };
    });
  }

  /**
   * A queue's scope, page size and token, judged before the database is touched: an old commune by
   * a code some commune had (`INVALID_FORMAT`, `UNKNOWN_UNIT` on `oldCommuneCode`), or a province in
   * force today (`provinceCode`); a page token this very listing issued (`INVALID_PAGE_TOKEN`).
   */
  private recodingQuery(
    scope: RecodingScope,
    pageSize: number,
    pageToken: string,
  ): { where: string; value: string; filter: string[]; after: [string, string]; limit: number } {
    const violations: FieldViolation[] = [];
    let query: { where: string; value: string; filter: string[] } | undefined;
    if (scope.kind === 'commune') {
      if (!isCommuneCode(scope.communeCode)) {
        violations.push({
          field: 'oldCommuneCode',
          reason: 'INVALID_FORMAT',
          description: 'a commune code is 5 digits',
        });
      } else if (!ADMINISTRATIVE_UNITS.isKnownCode(scope.communeCode, 'commune')) {
        violations.push({
          field: 'oldCommuneCode',
          reason: 'UNKNOWN_UNIT',
          description: 'no commune ever had this code',
        });
      } else {
        const value = scope.communeCode;
        query = { where: 'q.recorded_commune_code = $1', value, filter: ['commune', value] };
      }
    } else if (this.unitInForce(scope.provinceCode, 'province', 'provinceCode', violations)) {
      const value = scope.provinceCode;
      query = { where: 'c.province_code = $1', value, filter: ['province', value] };
    }
    let after: [string, string] = ['', '00000000-0000-0000-0000-000000000000'];
    if (query && pageToken !== '') {
      try {
        const [commune, citizenId] = decodePageToken(pageToken, RECODING_LIST, query.filter, [
          isCommuneCode,
          isRecordId,
        ]);
        after = [commune!, citizenId!];
      } catch (error) {
        if (!(error instanceof DomainValidationError)) throw error;
        violations.push(...error.violations);
      }
    }
    if (violations.length > 0 || !query) throw new InvalidRequestError(violations);
    return { ...query, after, limit: pageLimit(pageSize) };
  }

  /** Every recorded access to one record, oldest first; reading it is itself an access. */
  accessLog(personalId: string, access: Access): Promise<readonly AuditEntry[]> {
    return this.enforce(access, { action: 'citizen.access-log', purpose: access.purpose }, async () => {
      checkPersonalIdFormat(personalId, 'personalId');
      const citizenId = await this.citizenIdOf(personalId);
      const { state } = await this.handler.load(citizenStream(citizenId));
      if (state.status !== 'unregistered') this.within(access.jurisdiction, state.record, citizenId);
      await this.audited(access, 'citizen.access-log', [citizenId], ['access_log']);
      return this.options.audit.forSubject(citizenId);
    });
  }

  /**
   * Records that `access.actor` saw `fields` of each record, before the data leaves the register: a
   * read whose record cannot be written fails instead of going unrecorded.
   */
  private async audited(
    access: Access,
    action: string,
    citizenIds: readonly string[],
    fields: readonly string[],
    detail?: Record<string, unknown>,
  ): Promise<void> {
    await this.options.audit.recordMany(
      citizenIds.map((subjectId) => ({
        actor: access.actor,
        action,
        purpose: access.purpose,
        subjectId,
        fields,
        detail: detail ?? null,
      })),
    );
  }

  /**
   * Data quality per commune of a province (or of one commune). A caller limited to a unit may ask
   * only within it: a province clerk about their province or its communes, a commune clerk about
   * their commune.
   */
  qualityReport(
    provinceCode: string,
    communeCode: string,
    caller: Caller,
  ): Promise<{ total: QualityFigures; communes: QualityFigures[]; asOf: string }> {
    const attempt = { action: 'quality.report', purpose: 'GetQualityReport' };
    return this.enforce(caller, attempt, () => {
      this.checkReportUnits(provinceCode, communeCode);
      const refusal = caller.jurisdiction.refusalForReport(provinceCode, communeCode);
      if (refusal) throw new OutsideJurisdiction(refusal, null);
      return this.report(provinceCode, communeCode);
    });
  }

  /**
   * A report's units, judged before the database is touched: a province in force today (3 digits)
   * and, when given, one of its communes in force today (5 digits) — an unknown code is
   * `UNKNOWN_UNIT`, a commune of another province `WRONG_PROVINCE`, never a report of zeros.
   */
  private checkReportUnits(provinceCode: string, communeCode: string): void {
    const violations: FieldViolation[] = [];
    const province = this.unitInForce(provinceCode, 'province', 'provinceCode', violations);
    if (communeCode !== '') {
      const commune = this.unitInForce(communeCode, 'commune', 'communeCode', violations);
      if (province && commune && commune.provinceCode !== province.code) {
        violations.push({
          field: 'communeCode',
          reason: 'WRONG_PROVINCE',
          description: 'the commune is not in the province given',
        });
      }
    }
    if (violations.length > 0) throw new InvalidRequestError(violations);
  }

  private async report(
    provinceCode: string,
    communeCode: string,
  ): Promise<{ total: QualityFigures; communes: QualityFigures[]; asOf: string }> {
    const staleBefore = this.options.today().plusDays(-this.options.staleAfterDays).toString();
    const rows = await this.store.db.query<{
      commune_code: string | null;
      citizens: string;
      incomplete: string;
      duplicates: string;
      stale: string;
      discrepancies: string;
    }>(
      `SELECT c.commune_code,
              count(*)::text AS citizens,
              count(*) FILTER (WHERE 'INCOMPLETE' = ANY (f.kinds))::text AS incomplete,
              count(*) FILTER (WHERE 'PROBABLE_DUPLICATE' = ANY (f.kinds))::text AS duplicates,
              count(*) FILTER (WHERE NOT c.deceased AND coalesce(c.verified_on, c.registered_on) < $3::date)::text AS stale,
              count(*) FILTER (WHERE 'VERIFICATION_DISCREPANCY' = ANY (f.kinds))::text AS discrepancies
       FROM reg_citizens c
       LEFT JOIN (SELECT citizen_id, array_agg(kind) AS kinds FROM reg_quality_flags GROUP BY citizen_id) f
         USING (citizen_id)
       WHERE c.province_code = $1 AND ($2 = '' OR c.commune_code = $2)
       GROUP BY c.commune_code ORDER BY c.commune_code`,
      [provinceCode, communeCode, staleBefore],
    );
    const communes = rows.map((r) => ({
      unitCode: r.commune_code ?? '',
      citizens: Number(r.citizens),
      incomplete: Number(r.incomplete),
      probableDuplicates: Number(r.duplicates),
      stale: Number(r.stale),
      discrepancies: Number(r.discrepancies),
    }));
    const sum = (k: keyof Omit<QualityFigures, 'unitCode'>) => communes.reduce((a, c) => a + c[k], 0);
    const [position] = await this.store.db.query<{ at: string }>(
      `SELECT transaction_id::text || ':' || global_position::text AS at FROM es_subscriptions WHERE subscription_id = $1`,
      [CITIZEN_PROJECTION],
    );
    return {
      asOf: position?.at ?? '0:0',
      total: {
        unitCode: communeCode || provinceCode,
        citizens: sum('citizens'),
        incomplete: sum('incomplete'),
        probableDuplicates: sum('probableDuplicates'),
        stale: sum('stale'),
        discrepancies: sum('discrepancies'),
      },
      communes,
    };
  }

  /**
   * Runs a use case for `caller` within their jurisdiction: a caller with none is refused before
   * anything is looked up; a record or units found outside it (`within`, `OutsideJurisdiction`) are
   * refused once the work has stopped — its transaction rolled back, nothing appended or disclosed.
   * Every refusal is written to the audit log (`<action>.refused`, with the record when there is
   * one, so the data subject's access log shows the attempt) before the caller hears of it.
   */
  private async enforce<T>(caller: Caller, attempt: Attempt, work: () => Promise<T>): Promise<T> {
    const admission = caller.jurisdiction.admission();
    if (admission) return this.refuse(caller, attempt, admission, null);
    try {
      return await work();
    } catch (error) {
      if (error instanceof OutsideJurisdiction)
        return this.refuse(caller, attempt, error.reason, error.citizenId);
      throw error;
    }
  }

  private async refuse(
    caller: Caller,
    attempt: Attempt,
    reason: JurisdictionRefusalReason,
    citizenId: string | null,
  ): Promise<never> {
    await this.options.audit.record({
      actor: caller.actor,
      action: `${attempt.action}.refused`,
      purpose: attempt.purpose,
      subjectId: citizenId,
      fields: [],
      detail: { ...attempt.detail, reason },
    });
    throw new JurisdictionRefusedError(reason);
  }

  /** The one check of a record against a jurisdiction: by its permanent residence on today's map. */
  private within(
    jurisdiction: Jurisdiction,
    record: Pick<CitizenRecord, 'permanentResidence'>,
    citizenId: string | null,
  ): void {
    const refusal = jurisdiction.refusalForRecord(record);
    if (refusal) throw new OutsideJurisdiction(refusal, citizenId);
  }

  /**
   * The command handler for a caller: a limited one's decides only on a record within their
   * jurisdiction — the state loaded for the command, in its transaction, before anything is
   * appended; a registration by the record it would create (no record exists yet to name).
   */
  private handlerFor(
    jurisdiction: Jurisdiction,
    citizenId: string,
  ): CommandHandler<CitizenState, CitizenCommand, CitizenEvent> {
    if (!jurisdiction.limited) return this.handler;
    const decide = (command: CitizenCommand, state: CitizenState): CitizenEvent[] => {
      if (state.status !== 'unregistered') this.within(jurisdiction, state.record, citizenId);
      const events = citizenDecider.decide(command, state);
      if (state.status === 'unregistered') {
        const created = events.reduce(citizenDecider.evolve, state);
        if (created.status !== 'unregistered') this.within(jurisdiction, created.record, null);
      }
      return events;
    };
    return new CommandHandler(this.store, { ...citizenDecider, decide }, HANDLER_OPTIONS);
  }

  private async load(citizenId: string): Promise<CitizenSnapshot> {
    const { state, streamVersion } = await this.handler.load(citizenStream(citizenId));
    if (state.status === 'unregistered') throw new CitizenNotFoundError();
    const snapshot: CitizenSnapshot = {
      citizenId,
      version: streamVersion,
      deceased: state.status === 'deceased',
      record: state.record,
    };
    await this.options.cache.set(snapshot);
    return snapshot;
  }

  private async citizenIdOf(personalId: string, tx?: Tx): Promise<string> {
    const [row] = await (tx ?? this.store.db).query<{ citizen_id: string }>(
      'SELECT citizen_id FROM reg_personal_ids WHERE personal_id = $1',
      [personalId],
    );
    if (!row) throw new CitizenNotFoundError();
    return row.citizen_id;
  }

  /** Claims a number for a record; false when another record holds it (now or ever did). */
  private async claimPersonalId(tx: Tx, personalId: string, citizenId: string): Promise<boolean> {
    const rows = await tx.query(
      `INSERT INTO reg_personal_ids (personal_id, citizen_id) VALUES ($1, $2)
       ON CONFLICT (personal_id) DO NOTHING RETURNING 1`,
      [personalId, citizenId],
    );
    return rows.length === 1;
  }

  private async register(
    tx: Tx,
    citizenId: string,
    command: Extract<CitizenCommand, { type: 'RegisterCitizen' }>,
    context: CommandContext,
  ): Promise<Registration> {
    const result = await this.handlerFor(context.jurisdiction, citizenId).handle(
      citizenStream(citizenId),
      command,
      { metadata: this.metadata(context), tx },
    );
    return { citizenId, personalId: command.personalId, recordVersion: result.streamVersion };
  }

  private metadata(context: CommandContext) {
    return {
      actor: context.actor,
      ...(context.correlationId && { correlationId: context.correlationId }),
      ...(context.traceparent && { traceparent: context.traceparent }),
    };
  }

  /**
   * Runs `work` in a transaction that first claims the idempotency key: a concurrent duplicate waits
   * on the key's row and then reads the first call's result, a later retry reads it at once.
   */
  private idempotent<T>(
    method: string,
    request: unknown,
    context: CommandContext,
    work: (tx: Tx) => Promise<T>,
  ): Promise<T> {
    const key = context.idempotencyKey;
    return this.store.transaction(async (tx) => {
      if (!key) return work(tx);
      const hash = requestHash(method, context.actor, request);
      const claimed = await tx.query(
        `INSERT INTO reg_idempotency (idempotency_key, method, request_hash, response) VALUES ($1, $2, $3, 'null')
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING 1`,
        [key, method, hash],
      );
      if (claimed.length === 0) {
        const [previous] = await tx.query<{ method: string; request_hash: string; response: T }>(
          'SELECT method, request_hash, response FROM reg_idempotency WHERE idempotency_key = $1',
          [key],
        );
        if (!previous || previous.method !== method || previous.request_hash !== hash)
          throw new IdempotencyKeyReusedError();
        return previous.response;
      }
      const response = await work(tx);
      await tx.query('UPDATE reg_idempotency SET response = $2::jsonb WHERE idempotency_key = $1', [
        key,
        JSON.stringify(response),
      ]);
      return response;
    });
  }
}
