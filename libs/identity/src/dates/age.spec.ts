import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ageAt, birthdayAtAge } from './age.js';
import { CalendarDate } from './calendar-date.js';

const d = (text: string) => CalendarDate.parse(text);

describe('age', () => {
  it('turns a year older on the birthday itself, not the day before', () => {
    const born = d('1990-05-10');
    assert.equal(ageAt(born, d('1990-05-10')), 0);
    assert.equal(ageAt(born, d('2015-05-09')), 24);
    assert.equal(ageAt(born, d('2015-05-10')), 25);
    assert.equal(ageAt(born, d('2015-12-31')), 25);
  });

  it('lets someone born on 29 February age on 28 February in common years, or on 1 March if told', () => {
    const born = d('2008-02-29');
    assert.equal(ageAt(born, d('2022-02-27')), 13);
    assert.equal(ageAt(born, d('2022-02-28')), 14);
    assert.equal(ageAt(born, d('2022-02-28'), 'march-1'), 13);
    assert.equal(ageAt(born, d('2022-03-01'), 'march-1'), 14);
    assert.equal(ageAt(born, d('2024-02-28')), 15, 'in a leap year the birthday is the 29th');
    assert.equal(ageAt(born, d('2024-02-29')), 16);
    assert.equal(birthdayAtAge(born, 14).toString(), '2022-02-28');
    assert.equal(birthdayAtAge(born, 16).toString(), '2024-02-29');
  });

  it('refuses an age before the birth', () => {
    assert.throws(() => ageAt(d('2000-01-02'), d('2000-01-01')), RangeError);
  });
});
