import { invalidArgument, type FieldViolation } from '@cancuoc/grpc';
import type { CardCommand } from '../../domain/card/commands.js';
import { validateCommand } from '../../domain/card/validation.js';
import { toRpcError } from './errors.js';

/**
 * The shape of every request, checked in the handler before any query, lease or lock: a
 * malformed request is INVALID_ARGUMENT with a field violation per rule broken, never a PostgreSQL
 * error (INTERNAL). Reasons:
 *
 * - `REQUIRED`: missing or empty, or an enum left UNSPECIFIED where a value is needed;
 * - `INVALID_FORMAT`: not the shape asked for (a lower-case UUID, a chip serial, a unit code);
 * - `INVALID_VALUE`: an enum number the contract does not define;
 * - `OUT_OF_RANGE`, `TOO_LONG`, `TOO_MANY`: a number, text or repeated field over its bound;
 * - `INVALID_PAGE_TOKEN`: a page token this list did not issue (application/page-token.ts).
 *
 * What a command carries is the decider's rule (`validateCommand`), run here as well so that it
 * refuses before the card is loaded.
 */
export class RequestChecks {
  private readonly found: FieldViolation[] = [];

  add(field: string, reason: string, description: string): this {
    this.found.push({ field, reason, description });
    return this;
  }

  /** Free text of at most `max` characters. */
  text(field: string, value: string, max: number): this {
    if (value.length > max) this.add(field, 'TOO_LONG', `at most ${max} characters`);
    return this;
  }

  /**
   * An enum that must name one of `known`: UNSPECIFIED (0) is `REQUIRED`, a number the contract
   * does not define is `INVALID_VALUE`.
   */
  enumValue(field: string, value: number, known: { has(value: never): boolean }, what: string): this {
    if (value === 0) this.add(field, 'REQUIRED', what);
    else if (!known.has(value as never)) this.add(field, 'INVALID_VALUE', `not a value of the enum: ${what}`);
    return this;
  }

  /** Refuses the request with every violation found. */
  done(): void {
    if (this.found.length > 0) throw invalidArgument(this.found);
  }
}

export const checks = () => new RequestChecks();

/** An application id as enrollment's events carry it (a UUID there; any such code from elsewhere). */
const APPLICATION_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export function checkApplicationId(field: string, value: string): void {
  if (value === '')
    throw invalidArgument([{ field, reason: 'REQUIRED', description: 'name the application' }]);
  if (!APPLICATION_ID.test(value))
    throw invalidArgument([
      {
        field,
        reason: 'INVALID_FORMAT',
        description: 'an application id: 1 to 64 of A–Z, a–z, 0–9, ., _, : and -',
      },
    ]);
}

/**
 * What a command carries, by the decider's own rules, before the card is loaded: field names as
 * the request spells them (`renames`, else snake case).
 */
export function checkCommand(command: CardCommand, renames?: Readonly<Record<string, string>>): void {
  try {
    validateCommand(command);
  } catch (error) {
    throw toRpcError(error, renames);
  }
}
