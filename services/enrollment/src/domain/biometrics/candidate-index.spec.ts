import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reimpressed, syntheticPerson, tenPrint } from '@cancuoc/synthetic';
import {
  CandidateIndex,
  DEFAULT_INDEXING,
  enrolmentCodes,
  FeatureKeys,
  indexedViews,
  queryCodes,
} from './candidate-index.js';

const SECRET = new Uint8Array(32).fill(7);
const placement = { rotation: 20, dx: 25, dy: -18, jitter: 3, angleJitter: 3, dropped: 0.15, spurious: 0.15 };
const views = (seed: number) => tenPrint(syntheticPerson(seed)).views;
const second = (seed: number, turn = placement.rotation) =>
  tenPrint(reimpressed(syntheticPerson(seed), seed + 10_000, { ...placement, rotation: turn })).views;

function gallery(size: number, keys = new FeatureKeys(SECRET)) {
  const index = new CandidateIndex(20);
  for (let seed = 1; seed <= size; seed++) index.add(seed, keys.enrolment(views(seed), 197));
  return { index, keys };
}

describe('candidate index (minutia triplets)', () => {
  it('files the same triangles for a finger placed turned and shifted, without noise', () => {
    const still = { rotation: 33, dx: -30, dy: 12, jitter: 0, angleJitter: 0, dropped: 0, spurious: 0 };
    const person = syntheticPerson(5);
    const moved = reimpressed(person, 6, still);
    const a = new Set(enrolmentCodes(tenPrint(person).views, 197));
    const groups = queryCodes(tenPrint(moved).views, 197);
    const found = groups.filter((group) => group.some((code) => a.has(code))).length;
    // Rotated to whole angle units and rounded to whole pixels: nearly every triangle is found.
    assert.ok(found >= 0.9 * groups.length, `${found} of ${groups.length}`);
  });

  it('indexes the preferred fingers, and the next ones when some are missing', () => {
    assert.deepEqual(
      indexedViews(views(1)).map((v) => v.position),
      [2, 7, 1, 6],
    );
    const person = syntheticPerson(1);
    person.delete(2);
    person.delete(6);
    assert.deepEqual(
      indexedViews(tenPrint(person).views).map((v) => v.position),
      [7, 1, 3, 8],
    );
    assert.equal(DEFAULT_INDEXING.fingers, 4);
  });

  it('keys depend on the secret: another key files the same person under other keys', () => {
    const a = new FeatureKeys(SECRET).enrolment(views(3), 197);
    const b = new FeatureKeys(new Uint8Array(32).fill(8)).enrolment(views(3), 197);
    assert.deepEqual(a, new FeatureKeys(SECRET).enrolment(views(3), 197));
    assert.ok(a.length > 100);
    const shared = b.filter((k) => a.includes(k)).length;
    assert.ok(shared < 3, `${shared} keys shared`);
    assert.throws(() => new FeatureKeys(new Uint8Array(16)), /32 bytes/);
  });

  it('puts a second impression’s person first among 400, far ahead of anyone else', () => {
    const { index, keys } = gallery(400);
    for (const [seed, turn] of [
      [17, 20],
      [123, -35],
      [250, 5],
      [399, 45],
    ] as const) {
      const found = index.search(keys.query(second(seed, turn), 197), 5, 1);
      assert.equal(found[0]?.member, seed, JSON.stringify(found));
      assert.ok(found[0]!.votes >= 3 * (found[1]?.votes ?? 1), JSON.stringify(found));
    }
  });

  it('gives a person not enrolled only chance votes, far below a second impression’s', () => {
    const { index, keys } = gallery(400);
    for (const seed of [1001, 1002, 1003]) {
      const found = index.search(keys.query(second(seed), 197), 5, 1);
      assert.ok(
        found.every((c) => c.votes < DEFAULT_INDEXING.minVotes + 2),
        JSON.stringify(found),
      );
    }
    const mated = index.search(keys.query(second(5), 197), 1, 1);
    assert.ok(mated[0]!.votes >= 4 * DEFAULT_INDEXING.minVotes, JSON.stringify(mated));
  });

  it('finds a person whose probe lacks an indexed finger', () => {
    const { index, keys } = gallery(200);
    const probe = reimpressed(syntheticPerson(42), 7, placement);
    probe.delete(2);
    const found = index.search(keys.query(tenPrint(probe).views, 197), 3, DEFAULT_INDEXING.minVotes);
    assert.equal(found[0]?.member, 42);
  });

  it('forgets removed members, before and after a merge, and answers the same after merging', () => {
    const { index, keys } = gallery(150);
    const probe = keys.query(second(77), 197);
    const before = index.search(probe, 5, 1);
    index.merge();
    assert.deepEqual(index.search(probe, 5, 1), before);
    index.remove(77);
    assert.equal(index.has(77), false);
    assert.equal(index.size, 149);
    assert.ok(!index.search(probe, 5, 1).some((c) => c.member === 77));
    const postings = index.postingCount;
    index.merge();
    assert.ok(index.postingCount < postings);
    assert.ok(!index.search(probe, 5, 1).some((c) => c.member === 77));
    // Re-filed under a new member number (a new application of the same person, say).
    index.add(500, keys.enrolment(views(77), 197));
    assert.equal(index.search(probe, 1, 1)[0]?.member, 500);
    assert.throws(() => index.add(77, [1, 2]), /added before/);
  });

  it('merges by itself as it grows, keeping every member findable', () => {
    const keys = new FeatureKeys(SECRET);
    const index = new CandidateIndex(12, 1000);
    const members = 9000;
    const filed = keys.enrolment(views(9), 197);
    // Many members sharing nothing with the probe, so the chained postings pass the merge threshold.
    for (let m = 0; m < members; m++) index.add(m, [m * 7919, m * 104_729 + 1, m]);
    index.add(members, filed);
    assert.ok(index.postingCount >= 3 * members);
    assert.ok(index.recentPostings < index.postingCount / 2, `${index.recentPostings} not merged`);
    const found = index.search(keys.query(second(9), 197), 1, DEFAULT_INDEXING.minVotes);
    assert.equal(found[0]?.member, members);
    assert.equal(index.size, members + 1);
  });
});
