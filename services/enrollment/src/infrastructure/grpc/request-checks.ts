import { invalidArgument, type FieldViolation } from '@cancuoc/grpc';

/**
 * The shape of every request, checked in the handler before anything else runs — no register call,
 * no rate limit, no query: whatever a request holds, a malformed one is INVALID_ARGUMENT with a
 * field violation per rule broken, never a PostgreSQL error (INTERNAL). Reasons:
 *
 * - `REQUIRED`: missing or empty, or an enum left UNSPECIFIED where a value is needed;
 * - `INVALID_FORMAT`: not the shape asked for (a lower-case UUID, a station id, a 64-digit hash);
 * - `INVALID_VALUE`: an enum number the contract does not define;
 * - `OUT_OF_RANGE`: a number outside its bounds;
 * - `TOO_LONG`, `TOO_MANY`: text or a repeated field over its bound;
 * - `INVALID_PAGE_TOKEN`: a page token this list did not issue (see page-token.ts).
 */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A station id, as station tokens carry it (`station:<id>`). */
export const STATION_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;
/**
 * A card id as card production reports it (a UUID there; enrollment records whatever id its news
 * carries, so the shape, not the kind, is checked).
 */
export const CARD_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/** The version of a stream: an application never gets near it. */
export const MAX_VERSION = 2_147_483_647n;
export const MAX_NOTE = 500;

export class RequestChecks {
  private readonly found: FieldViolation[] = [];

  add(field: string, reason: string, description: string): this {
    this.found.push({ field, reason, description });
    return this;
  }

  /** A lower-case UUID (application ids, citizen ids, references, card ids); `optional`: or empty. */
  uuid(field: string, value: string, what: string, optional = false): this {
    if (value === '') {
      if (!optional) this.add(field, 'REQUIRED', `name the ${what}`);
    } else if (!UUID.test(value)) {
      this.add(field, 'INVALID_FORMAT', 'a lower-case UUID');
    }
    return this;
  }

  /** A station id; `optional`: or empty. */
  stationId(field: string, value: string, optional = false): this {
    if (value === '') {
      if (!optional) this.add(field, 'REQUIRED', 'name the station');
    } else if (!STATION_ID.test(value)) {
      this.add(field, 'INVALID_FORMAT', 'a station id: 1 to 32 of a–z, 0–9 and -, not starting with -');
    }
    return this;
  }

  /** A card id; `optional`: or empty. */
  cardId(field: string, value: string, optional = false): this {
    if (value === '') {
      if (!optional) this.add(field, 'REQUIRED', 'name the card');
    } else if (!CARD_ID.test(value)) {
      this.add(field, 'INVALID_FORMAT', 'a card id: 1 to 64 of A–Z, a–z, 0–9, ., _, : and -');
    }
    return this;
  }

  /** `expected_version`, when given: a version a stream can have. */
  version(field: string, value: bigint | undefined): this {
    if (value !== undefined && value > MAX_VERSION)
      this.add(field, 'OUT_OF_RANGE', `a version from 0 to ${MAX_VERSION}`);
    return this;
  }

  /** Free text of at most `max` characters; `required`: not blank. */
  text(field: string, value: string, max: number, required = false): this {
    if (required && value.trim() === '') this.add(field, 'REQUIRED', 'a value is required');
    else if (value.length > max) this.add(field, 'TOO_LONG', `at most ${max} characters`);
    return this;
  }

  /**
   * An enum that must name one of `known`: UNSPECIFIED (0) is `REQUIRED` when `required`, a number
   * the contract does not define is `INVALID_VALUE`.
   */
  enumValue(
    field: string,
    value: number,
    known: { has(value: never): boolean },
    what: string,
    required = true,
  ): this {
    if (value === 0) {
      if (required) this.add(field, 'REQUIRED', what);
    } else if (!known.has(value as never)) {
      this.add(field, 'INVALID_VALUE', `not a value of the enum: ${what}`);
    }
    return this;
  }

  /** Refuses the request with every violation found. */
  done(): void {
    if (this.found.length > 0) throw invalidArgument(this.found);
  }
}

/** Starts the checks of one request. */
export const checks = () => new RequestChecks();

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The `idempotency-key` header, when sent: 1 to 255 printable ASCII characters (stored per caller). */
export function checkIdempotencyKey(key: string | undefined): void {
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    throw invalidArgument([
      {
        field: 'idempotency-key',
        reason: 'INVALID_FORMAT',
        description: 'an idempotency key is 1 to 255 printable ASCII characters',
      },
    ]);
  }
}
