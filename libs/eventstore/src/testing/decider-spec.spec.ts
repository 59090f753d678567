import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Decider } from '../decider.js';
import { deciderSpec } from './decider-spec.js';

/** A counter that refuses to go below zero: the smallest decider with events, state and a refusal. */
type Event = { type: 'Added'; data: { by: number } } | { type: 'Reset'; data: { from: number } };
type Command = { type: 'Add'; by: number } | { type: 'Reset' };
class BelowZero extends Error {
  override readonly name = 'BelowZero';
}
const counter: Decider<number, Command, Event> = {
  initialState: () => 0,
  evolve: (n, e) => (e.type === 'Added' ? n + e.data.by : 0),
  decide: (c, n) => {
    if (c.type === 'Reset') return n === 0 ? [] : [{ type: 'Reset', data: { from: n } }];
    if (n + c.by < 0) throw new BelowZero(`${n} + ${c.by}`);
    return [{ type: 'Added', data: { by: c.by } }];
  },
};
const { given } = deciderSpec(counter);
const added = (by: number): Event => ({ type: 'Added', data: { by } });

describe('deciderSpec (given/when/then)', () => {
  it('passes when the command causes exactly the expected events, and folds the history first', () => {
    given(added(2), added(3))
      .when({ type: 'Reset' })
      .then([{ type: 'Reset', data: { from: 5 } }]);
    assert.equal(
      given(added(2))
        .when({ type: 'Add', by: 1 })
        .thenState([{ type: 'Added' }]),
      3,
    );
    assert.deepEqual(
      given()
        .when({ type: 'Add', by: 4 })
        .thenEvents([{ type: 'Added' }]),
      [added(4)],
    );
    given().when({ type: 'Reset' }).thenNothingHappened();
    given(added(1))
      .when({ type: 'Add', by: -2 })
      .thenThrows(BelowZero, (e) => assert.equal(e.message, '1 + -2'));
  });

  it('fails on other events, other data, or events where nothing should happen', () => {
    assert.throws(
      () =>
        given()
          .when({ type: 'Add', by: 1 })
          .then([{ type: 'Reset' }]),
      assert.AssertionError,
    );
    assert.throws(() => given().when({ type: 'Add', by: 1 }).then([]), assert.AssertionError);
    assert.throws(
      () =>
        given()
          .when({ type: 'Add', by: 1 })
          .then([{ type: 'Added', data: { by: 2 } }]),
      assert.AssertionError,
    );
    assert.throws(() => given(added(1)).when({ type: 'Reset' }).thenNothingHappened(), assert.AssertionError);
  });

  it('fails when the command is accepted, refused with another error, or the check fails', () => {
    assert.throws(() => given().when({ type: 'Add', by: 1 }).thenThrows(BelowZero), assert.AssertionError);
    assert.throws(() => given().when({ type: 'Add', by: -1 }).thenThrows(TypeError), assert.AssertionError);
    assert.throws(
      () =>
        given()
          .when({ type: 'Add', by: -1 })
          .thenThrows(BelowZero, () => assert.fail('the reason is wrong')),
      assert.AssertionError,
    );
  });
});
