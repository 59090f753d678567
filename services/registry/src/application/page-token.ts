import { createHash } from 'node:crypto';
import { InvalidRequestError } from './errors.js';

/**
 * Search page tokens: opaque to clients, base64url of a small versioned JSON cursor
 * `{"v":1,"q":<search>,"a":<last citizen id>}`. They carry a position, never data: no name, birth
 * date or commune — the search is named by a 16-hex-digit digest of its criteria, so a token from
 * another search (or another service) is refused rather than silently read as a position in this
 * one. No signature: a forged token can only move the caller within results they may see anyway.
 */
const VERSION = 1;
const MAX_TOKEN_LENGTH = 256;
const TOKEN = /^[A-Za-z0-9_-]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What a token is bound to: a digest of the search's criteria, in a form no value can be read back from. */
export function searchDigest(...criteria: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(criteria)).digest('hex').slice(0, 16);
}

export function encodePageToken(search: string, afterCitizenId: string): string {
  return Buffer.from(JSON.stringify({ v: VERSION, q: search, a: afterCitizenId })).toString('base64url');
}

const invalid = (description: string) =>
  new InvalidRequestError([{ field: 'pageToken', reason: 'INVALID_PAGE_TOKEN', description }]);

/**
 * The citizen id a page starts after; undefined for the first page (an empty token). A token that
 * is not one of ours, is of another version or another search is `INVALID_PAGE_TOKEN`.
 */
export function decodePageToken(token: string, search: string): string | undefined {
  if (token === '') return undefined;
  if (token.length > MAX_TOKEN_LENGTH || !TOKEN.test(token)) {
    throw invalid('not a page token this search issued');
  }
  let cursor: unknown;
  try {
    cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not a page token this search issued');
  }
  if (typeof cursor !== 'object' || cursor === null) throw invalid('not a page token this search issued');
  const { v, q, a } = cursor as Record<string, unknown>;
  if (v !== VERSION) throw invalid('a page token of another version: start the search again');
  if (q !== search) throw invalid('a page token of another search: use it with the search that returned it');
  if (typeof a !== 'string' || !UUID.test(a)) throw invalid('not a page token this search issued');
  return a;
}
