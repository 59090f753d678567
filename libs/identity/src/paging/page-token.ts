import { createHash } from 'node:crypto';
import { DomainValidationError } from '../errors.js';

/**
 * A page token that is not one this service issued for this very list (another list's or another
 * filter's, another version, cut short, edited or made up): INVALID_ARGUMENT `INVALID_PAGE_TOKEN`
 * on `page_token`, before any query runs.
 */
export class InvalidPageTokenError extends DomainValidationError {
  override readonly name = 'InvalidPageTokenError';
  constructor() {
    super('invalid page token', [
      {
        field: 'pageToken',
        reason: 'INVALID_PAGE_TOKEN',
        description: 'pass back a next_page_token of the same list, unchanged, or none for the first page',
      },
    ]);
  }
}

/** Longer than any token issued here. */
const MAX_TOKEN_LENGTH = 512;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * What a token is bound to: the list and its filter, as a digest no value can be read back from,
 * so a token carries a position and never data (no name, birth date or commune).
 */
function digest(list: string, filter: readonly unknown[]): string {
  return createHash('sha256')
    .update(JSON.stringify([list, ...filter]))
    .digest('base64url')
    .slice(0, 16);
}

/**
 * An opaque page token: where the next page starts (`cursor`), bound to the list and its filter.
 * Clients pass it back unchanged; its content is not part of the contract. No signature: a forged
 * token can only move the caller within results it may see anyway.
 */
export function encodePageToken(list: string, filter: readonly unknown[], cursor: readonly string[]): string {
  return Buffer.from(JSON.stringify({ v: 1, f: digest(list, filter), c: cursor })).toString('base64url');
}

/**
 * The cursor of a token {@link encodePageToken} issued for the same list and filter, each part
 * checked by its `valid` function; anything else is {@link InvalidPageTokenError}. Pure: nothing of
 * the token reaches the database unchecked.
 */
export function decodePageToken(
  token: string,
  list: string,
  filter: readonly unknown[],
  valid: readonly ((part: string) => boolean)[],
): string[] {
  if (token.length > MAX_TOKEN_LENGTH || !BASE64URL.test(token)) throw new InvalidPageTokenError();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidPageTokenError();
  }
  if (typeof parsed !== 'object' || parsed === null) throw new InvalidPageTokenError();
  const { v, f, c } = parsed as { v?: unknown; f?: unknown; c?: unknown };
  if (v !== 1 || f !== digest(list, filter) || !Array.isArray(c) || c.length !== valid.length)
    throw new InvalidPageTokenError();
  const cursor = c as unknown[];
  if (!cursor.every((part, i) => typeof part === 'string' && valid[i]!(part)))
    throw new InvalidPageTokenError();
  return cursor as string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A record id as the services issue them (a lower-case UUID): the usual cursor part. */
export const isRecordId = (part: string) => UUID.test(part);
