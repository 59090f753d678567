import type { SqlExecutor } from '@cancuoc/eventstore';
import { newEventId } from '@cancuoc/eventstore';
import type { FieldViolation } from '@cancuoc/identity';
import { citizenDecider } from '../../domain/citizen/decider.js';
import { InvalidCitizenCommandError } from '../../domain/citizen/errors.js';
import type { CitizenEvent } from '../../domain/citizen/events.js';
import type { Rejection } from './rejection-report.js';
import type { SourceRow } from './source.js';
import { registrationOf, type RegisterCitizen } from './to-command.js';

/** A row of this file not committed yet, by personal id: a parent for later rows, or a duplicate. */
export interface PendingRow {
  readonly citizenId: string;
  /** The batch it is written in. */
  readonly batch: number;
}

export interface ParentRef {
  readonly role: 'father' | 'mother';
  readonly personalId: string;
  readonly citizenId: string;
  /** The batch of the file row it was resolved to, while that row was not committed yet. */
  readonly pendingBatch: number | undefined;
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

const unknownParent = (role: 'father' | 'mother'): FieldViolation => ({
  field: `${role}PersonalId`,
  reason: 'UNKNOWN_CITIZEN',
  description: 'no citizen holds this personal id number, in the register or in an earlier row of the file',
});

/** Runs the citizen decider on a registration: its events, or every violation it reports. */
export function decideRegistration(
  command: RegisterCitizen,
): { events: CitizenEvent[] } | { violations: readonly FieldViolation[] } {
  try {
    return { events: citizenDecider.decide(command, citizenDecider.initialState()) };
  } catch (error) {
    if (error instanceof InvalidCitizenCommandError) return { violations: error.violations };
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
  db: SqlExecutor,
): Promise<PreparedBatch> {
  const commands = rows.map((r) => (r.problems.length > 0 ? undefined : registrationOf(r.fields, today)));
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
  const registered = new Map<string, string>();
  if (unresolvedParents.size > 0) {
    const found = await db.query<{ personal_id: string; citizen_id: string }>(
      'SELECT personal_id, citizen_id FROM reg_personal_ids WHERE personal_id = ANY ($1::text[])',
      [[...unresolvedParents]],
    );
    for (const f of found) registered.set(f.personal_id, f.citizen_id);
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
      const citizenId = inFile?.citizenId ?? registered.get(personalId);
      if (citizenId) parents.push({ role, personalId, citizenId, pendingBatch: inFile?.batch });
      else violations.push(unknownParent(role));
    }
    const judged = decideRegistration(withParents(command, parents));
    if ('violations' in judged) violations.push(...judged.violations);
    if (violations.length > 0) {
      rejections.push({ row: row.row, line: row.line, violations });
      return;
    }
    const citizenId = newEventId();
    pending.set(command.personalId, { citizenId, batch: index });
    candidates.push({
      row,
      personalId: command.personalId,
      citizenId,
      command,
      events: (judged as { events: CitizenEvent[] }).events,
      parents,
    });
  });
  return { index, rows, candidates, rejections };
}

export function withParents(command: RegisterCitizen, parents: readonly ParentRef[]): RegisterCitizen {
  return {
    ...command,
    fatherCitizenId: parents.find((p) => p.role === 'father')?.citizenId ?? null,
    motherCitizenId: parents.find((p) => p.role === 'mother')?.citizenId ?? null,
  };
}

function parentId(row: SourceRow, role: 'father' | 'mother'): string {
  return row.fields[role === 'father' ? 'father_personal_id' : 'mother_personal_id']?.trim() ?? '';
}
