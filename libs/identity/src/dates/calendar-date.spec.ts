import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidCalendarDateError } from '../errors.js';
import { seededRandom } from '../test-support/seeded-random.js';
import { CalendarDate, daysInMonth, isLeapYear } from './calendar-date.js';

const d = (text: string) => CalendarDate.parse(text);

describe('CalendarDate', () => {
  it('reads and writes YYYY-MM-DD, in JSON too', () => {
    const date = d('2025-07-01');
    assert.deepEqual([date.year, date.month, date.day], [2025, 7, 1]);
    assert.equal(date.toString(), '2025-07-01');
    assert.equal(JSON.stringify({ issued: date }), '{"issued":"2025-07-01"}');
    assert.equal(CalendarDate.of(5, 1, 9).toString(), '0005-01-09');
  });

  it('accepts 29 February only in leap years (every 4th, not centuries, except every 400th)', () => {
    assert.equal(d('2024-02-29').day, 29);
    assert.equal(d('2000-02-29').day, 29);
    assert.throws(() => d('2023-02-29'), InvalidCalendarDateError);
    assert.throws(() => d('1900-02-29'), InvalidCalendarDateError);
    assert.deepEqual(
      [isLeapYear(1900), isLeapYear(2000), isLeapYear(2024), isLeapYear(2025)],
      [false, true, true, false],
    );
    assert.equal(daysInMonth(2025, 4), 30);
  });

  it('refuses other spellings and impossible days, naming the field and not echoing the value', () => {
    for (const text of ['2025-7-1', '01/07/2025', '2025-07-01T00:00:00Z', ' 2025-07-01', '20250701', '']) {
      assert.throws(
        () => CalendarDate.parse(text, 'birthDate'),
        (e: unknown) =>
          e instanceof InvalidCalendarDateError &&
          e.violations[0]?.field === 'birthDate' &&
          e.violations[0].reason === 'INVALID_DATE_FORMAT',
        text,
      );
    }
    for (const text of ['2025-13-01', '2025-00-10', '2025-04-31', '2025-01-00', '0000-01-01']) {
      assert.throws(
        () => CalendarDate.parse(text, 'issueDate'),
        (e: unknown) =>
          e instanceof InvalidCalendarDateError &&
          e.violations[0]?.reason === 'INVALID_DATE' &&
          !e.message.includes(text),
        text,
      );
    }
    assert.throws(() => CalendarDate.of(2025, 1.5, 1), InvalidCalendarDateError);
  });

  it('counts days from 1970-01-01 exactly, across centuries', () => {
    assert.equal(d('1970-01-01').toEpochDay(), 0);
    assert.equal(d('1969-12-31').toEpochDay(), -1);
    assert.equal(d('2000-03-01').toEpochDay(), 11_017);
    assert.equal(d('1900-01-01').toEpochDay(), -25_567);
    assert.equal(CalendarDate.fromEpochDay(20_270).toString(), '2025-07-01');
  });

  it('walks every day from 1899 to 2401 without a gap or a repeat', () => {
    let previous = d('1899-12-31');
    for (let day = previous.toEpochDay() + 1; day <= d('2401-01-01').toEpochDay(); day++) {
      const date = CalendarDate.fromEpochDay(day);
      assert.equal(date.toEpochDay(), day);
      const nextOfPrevious =
        previous.day < daysInMonth(previous.year, previous.month)
          ? [previous.year, previous.month, previous.day + 1]
          : previous.month < 12
            ? [previous.year, previous.month + 1, 1]
            : [previous.year + 1, 1, 1];
      assert.deepEqual([date.year, date.month, date.day], nextOfPrevious);
      previous = date;
    }
  });

  it('orders dates as their day counts order them', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 2000; i++) {
      const a = CalendarDate.fromEpochDay(random.int(200_000) - 100_000);
      const b = CalendarDate.fromEpochDay(random.int(200_000) - 100_000);
      const expected = Math.sign(a.toEpochDay() - b.toEpochDay());
      assert.equal(a.compare(b), expected);
      assert.equal(a.isBefore(b), expected < 0);
      assert.equal(a.isAfter(b), expected > 0);
      assert.equal(a.equals(b), expected === 0);
      assert.equal(a.toString() < b.toString(), expected < 0, 'the text form sorts like the date');
      const n = random.int(1000) - 500;
      assert.equal(a.plusDays(n).toEpochDay(), a.toEpochDay() + n);
    }
  });

  it('adds years keeping month and day, sending 29 February to 28 February or 1 March as told', () => {
    assert.equal(d('2000-05-10').plusYears(25).toString(), '2025-05-10');
    assert.equal(d('2004-02-29').plusYears(4).toString(), '2008-02-29');
    assert.equal(d('2004-02-29').plusYears(1).toString(), '2005-02-28');
    assert.equal(d('2004-02-29').plusYears(1, 'march-1').toString(), '2005-03-01');
    assert.equal(d('2004-02-29').plusYears(-4).toString(), '2000-02-29');
  });

  it("takes today's date in Vietnam (UTC+7) from an instant, whatever the host's time zone", () => {
    assert.equal(CalendarDate.fromInstant(Date.parse('2024-12-31T16:59:59.999Z')).toString(), '2024-12-31');
    assert.equal(CalendarDate.fromInstant(Date.parse('2024-12-31T17:00:00.000Z')).toString(), '2025-01-01');
    assert.equal(CalendarDate.fromInstant(new Date('2024-12-31T17:00:00Z'), 0).toString(), '2024-12-31');
    assert.equal(CalendarDate.fromInstant(Date.parse('1969-12-31T23:00:00Z'), 0).toString(), '1969-12-31');
    assert.throws(() => CalendarDate.fromInstant(new Date('not a date')), RangeError);
  });
});
