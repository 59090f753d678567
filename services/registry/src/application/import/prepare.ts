import type { EventStore, SqlExecutor } from '@cancuoc/eventstore';
import { newEventId } from '@cancuoc/eventstore';
import type { FieldViolation } from '@cancuoc/identity';
import { citizenDecider } from '../../domain/citizen/decider.js';
import { CitizenRuleViolationError, InvalidCitizenCommandError } from '../../domain/citizen/errors.js';
import type { CitizenEvent } from '../../domain/citizen/events.js';
import type { FamilyRules, RelativeFacts } from '../../domain/citizen/family-rules.js';
import { factsOf, loadRelatives } from '../relatives.js';
import type { Rejection } from './rejection-report.js';
import type { SourceRow } from './source.js';
import { registrationOf, type RegisterCitizen } from './to-command.js';

/** A row of this file not committed yet, by personal id: a parent for later rows, or a duplicate. */
export interface PendingRow {
  readonly citizenId: string;
  /** The batch it is written in. */
  readonly batch: number;
  /** The record it registers, as the family rules of later rows see it. */
  readonly facts: RelativeFacts;
}

export interface ParentRef {
  readonly role: 'father' | 'mother';
  readonly personalId: string;
  readonly citizenId: string;
  /** The batch of the file row it was resolved to, while that row was not committed yet. */
  readonly pendingBatch: number | undefined;
  /** The parent's record as the family rules see it. */
  readonly facts: RelativeFacts;
}

/** A row the rules accept, with the record it will register. */
export interface Candidate {
  readonly row: SourceRow;
  readonly personalId: string;
  readonly citizenId: string;
  readonly command: RegisterCitizen;
  events: CitizenEvent[];
  readonly parents: readonly ParentRef[];
}

export interface PreparedBatch {
  readonly index: number;
  readonly rows: readonly SourceRow[];
  readonly candidates: Candidate[];
  readonly rejections: Rejection[];
}

const DUPLICATE: FieldViolation = {
  field: 'personalId',
  reason: 'ALREADY_REGISTERED',
  description: 'this personal id number is already registered, by an existing record or an earlier row',
};

export const unknownParent = (role: 'father' | 'mother'): FieldViolation => ({
  field: `${role}PersonalId`,
  reason: 'UNKNOWN_CITIZEN',
  description: 'no citizen holds this personal id number, in the register or in an earlier row of the file',
});

/** The file names parents by personal id: the family rules' subjects as the report's fields. */
const FIELD_OF_SUBJECT: Readonly<Record<string, string>> = {
  fatherCitizenId: 'fatherPersonalId',
  motherCitizenId: 'motherPersonalId',
};

/**
 * Runs the citizen decider on a registration: its events, or every violation it reports — the
 * input's, and the family rules' (a parent too young, of the wrong sex, …) as violations of the
 * parent's column.
 */
export function decideRegistration(
  command: RegisterCitizen,
): { events: CitizenEvent[] } | { violations: readonly FieldViolation[] } {
  try {
    return { events: citizenDecider.decide(command, citizenDecider.initialState()) };
  } catch (error) {
    if (error instanceof InvalidCitizenCommandError) return { violations: error.violations };
    if (error instanceof CitizenRuleViolationError) {
      return {
        violations: error.violations.map((v) => ({
          field: FIELD_OF_SUBJECT[v.subject] ?? v.subject,
          reason: v.type,
          description: v.description,
        })),
      };
    }
    throw error;
  }
}

/**
 * Judges a batch of rows by the citizen decider, as `RegisterExistingCitizen` would, and resolves
 * parents named by personal id: to a row of this file not committed yet (`pending`, which this adds
 * the batch's accepted rows to), else to a registered record. Rows are judged in file order, so a
 * parent must come before the child and the first of two rows with one number is the one kept.
 */
export async function prepareBatch(
  index: number,
  rows: readonly SourceRow[],
  today: string,
  pending: Map<string, PendingRow>,
  store: EventStore,
  rules?: FamilyRules,
): Promise<PreparedBatch> {
  const db: SqlExecutor = store.db;
  const commands = rows.map((r) =>
    r.problems.length > 0 ? undefined : registrationOf(r.fields, today, rules),
  );
  // The pending rows named here, as they stand now: a batch that commits meanwhile leaves the map,
  // and its rows are then found by the query below.
  const seen = new Map<string, PendingRow>();
  const unresolvedParents = new Set<string>();
  rows.forEach((r, i) => {
    const command = commands[i];
    if (!command) return;
    const own = pending.get(command.personalId);
    if (own) seen.set(command.personalId, own);
    for (const id of [parentId(r, 'father'), parentId(r, 'mother')]) {
      if (!id) continue;
      const hit = pending.get(id);
      if (hit) seen.set(id, hit);
      else unresolvedParents.add(id);
    }
  });
  const registered = new Map<string, { citizenId: string; facts: RelativeFacts }>();
  if (unresolvedParents.size > 0) {
    const found = await db.query<{ personal_id: string; citizen_id: string }>(
      'SELECT personal_id, citizen_id FROM reg_personal_ids WHERE personal_id = ANY ($1::text[])',
      [[...unresolvedParents]],
    );
    const facts = await loadRelatives(
      store,
      found.map((f) => f.citizen_id),
    );
    for (const f of found) {
      const held = facts.get(f.citizen_id);
      if (held) registered.set(f.personal_id, { citizenId: f.citizen_id, facts: held });
    }
  }

  const candidates: Candidate[] = [];
  const rejections: Rejection[] = [];
  rows.forEach((row, i) => {
    const command = commands[i];
    if (!command) {
      rejections.push({ row: row.row, line: row.line, violations: row.problems });
      return;
    }
    const violations: FieldViolation[] = [];
    if (command.personalId && (seen.has(command.personalId) || pending.has(command.personalId))) {
      violations.push(DUPLICATE);
    }
    const parents: ParentRef[] = [];
    for (const role of ['father', 'mother'] as const) {
      const personalId = parentId(row, role);
      if (!personalId) continue;
      const inFile = seen.get(personalId) ?? pending.get(personalId);
      const resolved = inFile ?? registered.get(personalId);
      if (resolved) {
        parents.push({
          role,
          personalId,
          citizenId: resolved.citizenId,
          pendingBatch: inFile?.batch,
          facts: resolved.facts,
        });
      } else violations.push(unknownParent(role));
    }
    const citizenId = newEventId();
    const judged = decideRegistration(withParents(command, parents, citizenId));
    if ('violations' in judged) violations.push(...judged.violations);
    if (violations.length > 0) {
      rejections.push({ row: row.row, line: row.line, violations });
      return;
    }
    const events = (judged as { events: CitizenEvent[] }).events;
    const facts = factsOf(events.reduce(citizenDecider.evolve, citizenDecider.initialState()))!;
    pending.set(command.personalId, { citizenId, batch: index, facts });
    candidates.push({
      row,
      personalId: command.personalId,
      citizenId,
      command,
      events,
      parents,
    });
  });
  return { index, rows, candidates, rejections };
}

/** The row's command with its parents resolved, and what the register holds of them. */
export function withParents(
  command: RegisterCitizen,
  parents: readonly ParentRef[],
  citizenId: string,
): RegisterCitizen {
  return {
    ...command,
    fatherCitizenId: parents.find((p) => p.role === 'father')?.citizenId ?? null,
    motherCitizenId: parents.find((p) => p.role === 'mother')?.citizenId ?? null,
    relatives: { self: citizenId, records: new Map(parents.map((p) => [p.citizenId, p.facts])) },
  };
}

function parentId(row: SourceRow, role: 'father' | 'mother'): string {
  return row.fields[role === 'father' ? 'father_personal_id' : 'mother_personal_id']?.trim() ?? '';
}
