import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chainedSequence, type OutgoingRecord } from './transport.js';

const batch = (n: number): OutgoingRecord[] => [
  { topic: 't', key: 'k', value: Uint8Array.of(n), headers: {} },
];

describe('chainedSequence (a publish sequence for a transport without one)', () => {
  it('starts each publish once the one before it resolved, and none after one that failed', async () => {
    const started: number[] = [];
    let release: (() => void) | undefined;
    const sequence = chainedSequence(async (records) => {
      const n = records[0]!.value![0]!;
      started.push(n);
      if (n === 1) await new Promise<void>((resolve) => (release = resolve));
      if (n === 3) throw new Error('broker said no');
    });
    const [one, two, three, four, five] = [1, 2, 3, 4, 5].map((n) => sequence.publish(batch(n))) as [
      Promise<void>,
      Promise<void>,
      Promise<void>,
      Promise<void>,
      Promise<void>,
    ];
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, [1], 'the second waits for the first');
    release!();
    await one;
    await two;
    for (const failed of [three, four, five]) await assert.rejects(failed, /broker said no/);
    assert.deepEqual(started, [1, 2, 3], 'nothing after the failed batch is sent');
  });
});
