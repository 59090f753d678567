import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newEventId } from './metadata.js';

describe('event ids', () => {
  it('are UUIDv7, unique, and ascend even when many are made within one millisecond', () => {
    const ids = Array.from({ length: 20_000 }, newEventId);
    for (const id of ids)
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual(ids, [...ids].sort());
    const millis = Number.parseInt(ids.at(-1)!.replace('-', '').slice(0, 12), 16);
    assert.ok(Math.abs(millis - Date.now()) < 60_000, 'the id carries the current time');
  });
});
