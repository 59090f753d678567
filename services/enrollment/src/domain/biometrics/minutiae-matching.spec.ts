import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reimpressed, syntheticPerson, tenPrint } from '@cancuoc/synthetic';
import { compareTenPrints, fingerScore } from './minutiae-matching.js';

const placement = { rotation: 15, dx: 25, dy: -18, jitter: 3, angleJitter: 3, dropped: 0.15, spurious: 0.15 };
const views = (seed: number) => ({ views: tenPrint(syntheticPerson(seed)).views, resolution: 197 });

describe('minutiae matching', () => {
  it('scores the same impression 1 and unrelated fingers near 0', () => {
    const a = tenPrint(syntheticPerson(1)).views[0]!;
    const b = tenPrint(syntheticPerson(2)).views[0]!;
    assert.equal(fingerScore({ view: a, resolution: 197 }, { view: a, resolution: 197 }), 1);
    assert.ok(fingerScore({ view: a, resolution: 197 }, { view: b, resolution: 197 }) < 0.1);
  });

  it('finds a second impression: shifted, turned, noisy, with minutiae missed and spurious', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const person = syntheticPerson(seed);
      const again = reimpressed(person, seed + 100, placement);
      const result = compareTenPrints(
        { views: tenPrint(again).views, resolution: 197 },
        { views: tenPrint(person).views, resolution: 197 },
      );
      assert.ok(result.candidate, `seed ${seed}: ${JSON.stringify(result)}`);
      assert.equal(result.matchingFingers, 10);
    }
  });

  it('is not fooled by byte equality: the re-impressed record differs in every minutia', () => {
    const person = syntheticPerson(3);
    const again = reimpressed(person, 4, placement);
    const [first] = person.get(1)!;
    assert.ok(!again.get(1)!.some((m) => m.x === first!.x && m.y === first!.y && m.angle === first!.angle));
  });

  it('does not match different people, and compares the same finger only', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const result = compareTenPrints(views(seed), views(seed + 50));
      assert.equal(result.candidate, false, `seed ${seed}: ${JSON.stringify(result)}`);
      assert.ok(result.bestScore < 0.1);
    }
    const person = syntheticPerson(9);
    const left = new Map([[6, person.get(1)!]]);
    const right = new Map([[1, person.get(1)!]]);
    const swapped = compareTenPrints(
      { views: tenPrint(left).views, resolution: 197 },
      { views: tenPrint(right).views, resolution: 197 },
    );
    assert.equal(swapped.fingersCompared, 0);
    assert.equal(swapped.candidate, false);
  });

  it('compares prints scanned at different resolutions', () => {
    const person = syntheticPerson(11);
    const scaled = new Map(
      [...person.entries()].map(([p, ms]) => [
        p,
        ms.map((m) => ({ ...m, x: Math.round((m.x * 394) / 197), y: Math.round((m.y * 394) / 197) })),
      ]),
    );
    const big = { ...tenPrint(scaled), width: 800, height: 1000, resolutionX: 394, resolutionY: 394 };
    const result = compareTenPrints(
      { views: big.views, resolution: 394 },
      { views: tenPrint(person).views, resolution: 197 },
    );
    assert.ok(result.candidate && result.bestScore > 0.9, JSON.stringify(result));
  });
});
