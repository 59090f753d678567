import assert from 'node:assert/strict';
import { presentFields, type DemoResult } from '@cancuoc/platform';
import type { partner } from '@cancuoc/proto';

/**
 * What the demo promises, citizen by citizen: one application each, one card each encoded exactly
 * once (one `CardEncoded`, no voided chip, one completion at the stations), and the agency holding
 * each citizen with exactly its subscription's fields — not one more, not one fewer.
 */
export function assertDemoKeptItsPromises(result: DemoResult, expectedCitizens: number): void {
  const blocked = [...result.blocked.values()].reduce((a, b) => a + b, 0);
  assert.equal(result.citizens.length + blocked, expectedCitizens - result.alreadyRegistered);
  assert.deepEqual(
    [...result.blocked.keys()].filter((r) => r !== 'REGISTER_RECORD_FLAGGED'),
    [],
  );
  assert.ok(
    result.citizens.length >= expectedCitizens * 0.5,
    `${result.citizens.length} of ${expectedCitizens} went through (the rest blocked: the register flags their record)`,
  );
  assert.equal(result.applications.length, result.citizens.length);
  assert.equal(new Set(result.applications.map((a) => a.citizenId)).size, result.citizens.length);
  const cards = [...result.cards.values()];
  assert.equal(cards.length, result.citizens.length);
  assert.equal(new Set(cards.map((c) => c.cardId)).size, cards.length, 'one card per citizen');
  for (const card of cards) {
    assert.equal(card.encodings, 1, `card ${card.cardId} encoded ${card.encodings} times`);
    assert.equal(card.voidedChips, 0, `card ${card.cardId} voided chips`);
    assert.match(card.chipSerial, /^[A-Z0-9-]{4,64}$/);
    assert.equal(
      result.completions.get(card.cardId),
      1,
      `card ${card.cardId} completed at the stations once`,
    );
  }
  assert.equal(
    result.completions.size,
    cards.length,
    'no station completed a job that is not one of these cards',
  );
  assertExactFields(
    result.view,
    result.agency.fields,
    result.citizens.map((c) => c.citizenId),
  );
}

export function assertExactFields(
  view: ReadonlyMap<string, partner.PartnerCitizen | undefined>,
  allowed: readonly partner.CitizenField[],
  citizenIds: readonly string[],
): void {
  const expected = [...allowed].sort((a, b) => a - b);
  for (const id of citizenIds) {
    const citizen = view.get(id);
    assert.ok(citizen, `the agency holds citizen ${id}`);
    assert.deepEqual(presentFields(citizen), expected, `fields of citizen ${id}`);
    assert.deepEqual(
      [...citizen.sharedFields].sort((a, b) => a - b),
      expected,
    );
    assert.ok(citizen.card?.current?.documentNumber, `citizen ${id} has the card`);
  }
}
