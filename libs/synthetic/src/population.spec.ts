import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADMINISTRATIVE_UNITS, CalendarDate, parsePersonalId } from '@cancuoc/identity';
import { generatePopulation } from './population.js';

const TODAY = CalendarDate.parse('2026-12-01');

describe('synthetic population', () => {
  const people = [...generatePopulation({ count: 3_000, seed: 11, today: TODAY })];

  it('is the same population for the same seed, and another for another seed', () => {
    assert.deepEqual([...generatePopulation({ count: 50, seed: 11, today: TODAY })], people.slice(0, 50));
    assert.notDeepEqual([...generatePopulation({ count: 50, seed: 12, today: TODAY })], people.slice(0, 50));
  });

  it('gives everyone a unique number that agrees with birth date, sex and birth province', () => {
    assert.equal(new Set(people.map((p) => p.personal_id)).size, people.length);
    for (const p of people) {
      const id = parsePersonalId(p.personal_id);
      assert.deepEqual(
        id.validateAgainst({
          birthDate: CalendarDate.parse(p.birth_date),
          sex: p.sex,
          birthRegistrationProvinceCode: p.birth_province,
        }),
        [],
        p.personal_id,
      );
    }
  });

  it('is born on or before today, in communes in force on the birth date, and lives in today’s', () => {
    for (const p of people) {
      const birth = CalendarDate.parse(p.birth_date);
      assert.ok(birth.toEpochDay() <= TODAY.toEpochDay());
      const inForceAtBirth = ADMINISTRATIVE_UNITS.unitsInForce(birth, 'commune').map((u) => u.code);
      assert.ok(inForceAtBirth.includes(p.birth_commune), `${p.birth_commune} on ${p.birth_date}`);
      const inForceToday = ADMINISTRATIVE_UNITS.unitsInForce(TODAY, 'commune').map((u) => u.code);
      assert.ok(inForceToday.includes(p.residence_commune));
    }
  });

  it('names parents only from earlier rows, older than their children', () => {
    const seen = new Map<string, string>();
    let withParents = 0;
    for (const p of people) {
      for (const parent of [p.father_personal_id, p.mother_personal_id]) {
        if (!parent) continue;
        const born = seen.get(parent);
        assert.ok(born, `parent ${parent} of ${p.personal_id} comes earlier`);
        assert.ok(born < p.birth_date);
      }
      if (p.father_personal_id || p.mother_personal_id) withParents += 1;
      seen.set(p.personal_id, p.birth_date);
    }
    assert.ok(withParents > people.length / 20, `${withParents} with parents`);
  });

  it('gives a minor parents whenever earlier rows hold people old enough to be them', () => {
    const today = TODAY.toString();
    const minors = people
      .slice(500)
      .filter((p) => p.birth_date > `${Number(today.slice(0, 4)) - 18}${today.slice(4)}`);
    assert.ok(minors.length > 100, `${minors.length} minors`);
    const linked = minors.filter((p) => p.father_personal_id && p.mother_personal_id).length;
    assert.ok(linked >= minors.length * 0.95, `${linked} of ${minors.length} minors with both parents`);
  });
});
