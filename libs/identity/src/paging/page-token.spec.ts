import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePageToken, encodePageToken, InvalidPageTokenError } from './page-token.js';

const isDigits = (part: string) => /^\d+$/.test(part);

describe('page tokens', () => {
  it('give back the cursor of a token issued for the same list and filter', () => {
    const token = encodePageToken('cards', ['ENCODED'], ['42']);
    assert.deepEqual(decodePageToken(token, 'cards', ['ENCODED'], [isDigits]), ['42']);
    assert.doesNotMatch(Buffer.from(token, 'base64url').toString(), /ENCODED/, 'the filter is a digest');
  });

  it("refuse another list's or filter's token, an edited, cut or made-up one, and a bad cursor", () => {
    const token = encodePageToken('cards', ['ENCODED'], ['42']);
    const forged = Buffer.from(JSON.stringify({ v: 1, f: 'x', c: ['1'] })).toString('base64url');
    const badCursor = encodePageToken('cards', ['ENCODED'], ["1' OR 1=1"]);
    for (const [candidate, list, filter] of [
      [token, 'applications', ['ENCODED']],
      [token, 'cards', ['SHIPPED']],
      [token.slice(0, -3), 'cards', ['ENCODED']],
      [`${token}x`, 'cards', ['ENCODED']],
      [forged, 'cards', ['ENCODED']],
      [badCursor, 'cards', ['ENCODED']],
      ['not a token!', 'cards', ['ENCODED']],
      ['a'.repeat(600), 'cards', ['ENCODED']],
    ] as const) {
      assert.throws(
        () => decodePageToken(candidate, list, filter, [isDigits]),
        InvalidPageTokenError,
        candidate,
      );
    }
  });
});
