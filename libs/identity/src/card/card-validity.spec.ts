import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CalendarDate } from '../dates/calendar-date.js';
import { CardValidityError } from '../errors.js';
import { cardValidity, isCardValidOn, selectCardValidityRule, type CardValidity } from './card-validity.js';
import { CARD_VALIDITY_RULES, type CardValidityRule } from './validity-rules.js';

const d = (text: string) => CalendarDate.parse(text);
const validity = (birthDate: string, issueDate: string, rules?: readonly CardValidityRule[]) =>
  cardValidity({ birthDate: d(birthDate), issueDate: d(issueDate) }, rules);
const until = (v: CardValidity) =>
  v.kind === 'expires' ? `${v.validUntil.toString()} (${v.renewalAge})` : v.kind;
const refusal = (reason: string) => (e: unknown) =>
  e instanceof CardValidityError && e.violations.length === 1 && e.violations[0]?.reason === reason;

describe('card validity', () => {
  it('picks the law by issue date: 2014 law from 2016, 2023 law from 1 July 2024', () => {
    assert.equal(selectCardValidityRule(d('2015-12-31')), undefined);
    assert.equal(selectCardValidityRule(d('2016-01-01'))?.id, 'citizen-identification-law-2014');
    assert.equal(selectCardValidityRule(d('2024-06-30'))?.id, 'citizen-identification-law-2014');
    assert.equal(selectCardValidityRule(d('2024-07-01'))?.id, 'identification-law-2023');
    assert.deepEqual(
      CARD_VALIDITY_RULES.map((r) => r.renewalAges),
      [
        [25, 40, 60],
        [14, 25, 40, 60],
      ],
    );
  });

  it('runs a card to the next renewal birthday, inclusive', () => {
    const v = validity('1995-08-20', '2024-09-01');
    assert.deepEqual(v, {
      kind: 'expires',
      validUntil: d('2035-08-20'),
      renewalAge: 40,
      ruleId: 'identification-law-2023',
    });
    assert.equal(isCardValidOn(v, d('2035-08-20')), true);
    assert.equal(isCardValidOn(v, d('2035-08-21')), false);
  });

  it('a card issued on a renewal birthday runs to the following one', () => {
    assert.equal(until(validity('1985-10-02', '2025-10-02')), '2045-10-02 (60)');
  });

  it('skips a renewal age the card was issued at most two years before', () => {
    // 40th birthday on 2028-09-15.
    assert.equal(until(validity('1988-09-15', '2028-09-14')), '2048-09-15 (60)', '1 day before');
    assert.equal(until(validity('1988-09-15', '2026-09-15')), '2048-09-15 (60)', 'exactly 2 years before');
    assert.equal(until(validity('1988-09-15', '2026-09-14')), '2028-09-15 (40)', '2 years and 1 day before');
  });

  it('applies the same window to the age of 25, under the 2014 law as well', () => {
    // 25th birthday on 2025-05-10; these issue dates fall under the 2014 law.
    assert.equal(validity('2000-05-10', '2023-05-10').ruleId, 'citizen-identification-law-2014');
    assert.equal(until(validity('2000-05-10', '2023-05-10')), '2040-05-10 (40)', 'exactly 2 years before');
    assert.equal(until(validity('2000-05-10', '2023-05-09')), '2025-05-10 (25)', '2 years and 1 day before');
    assert.equal(until(validity('2000-05-10', '2025-05-09')), '2040-05-10 (40)', '1 day before');
  });

  it('gives children under the 2023 law a card to 14, or to 25 when issued from age 12', () => {
    // 14th birthday on 2026-08-01.
    assert.equal(until(validity('2012-08-01', '2024-07-01')), '2026-08-01 (14)');
    assert.equal(until(validity('2012-08-01', '2024-07-31')), '2026-08-01 (14)', '2 years and 1 day before');
    assert.equal(until(validity('2012-08-01', '2024-08-01')), '2037-08-01 (25)', 'exactly 2 years before');
    assert.equal(until(validity('2024-03-01', '2024-07-15')), '2038-03-01 (14)', 'a baby');
  });

  it('refuses a card for a child under 14 under the 2014 law', () => {
    assert.throws(() => validity('2012-08-01', '2024-06-30'), refusal('BELOW_MINIMUM_AGE'));
    assert.equal(until(validity('2010-06-30', '2024-06-30')), '2035-06-30 (25)');
  });

  it('does not expire once issued within two years before 60, or later', () => {
    // 60th birthday on 2026-03-20.
    assert.equal(until(validity('1966-03-20', '2024-03-19')), '2026-03-20 (60)', '2 years and 1 day before');
    assert.deepEqual(validity('1966-03-20', '2024-07-01'), {
      kind: 'no-expiry',
      ruleId: 'identification-law-2023',
    });
    assert.equal(until(validity('1966-03-20', '2026-03-19')), 'no-expiry', '1 day before');
    assert.equal(until(validity('1940-01-01', '2017-06-01')), 'no-expiry', 'issued at 77');
    assert.equal(isCardValidOn({ kind: 'no-expiry', ruleId: 'x' }, d('9999-12-31')), true);
  });

  it('counts from 28 February for someone born on 29 February, and from 1 March under such a rule', () => {
    // Born 2004-02-29: the 25th birthday falls on 2029-02-28 and the 23rd on 2027-02-28.
    assert.equal(until(validity('2004-02-29', '2029-02-27')), '2044-02-29 (40)', '1 day before');
    assert.equal(until(validity('2004-02-29', '2027-02-28')), '2044-02-29 (40)', 'on the 23rd birthday');
    assert.equal(until(validity('2004-02-29', '2027-02-27')), '2029-02-28 (25)', 'the day before it');
    const marchFirst = CARD_VALIDITY_RULES.map((r) => ({ ...r, leapDayAnniversary: 'march-1' as const }));
    assert.equal(until(validity('2004-02-29', '2027-02-28', marchFirst)), '2029-03-01 (25)');
    assert.equal(until(validity('2004-02-29', '2027-03-01', marchFirst)), '2044-02-29 (40)');
  });

  it('refuses an issue date before the birth or before any chip-card law', () => {
    assert.throws(() => validity('2000-01-01', '1999-12-31'), refusal('ISSUED_BEFORE_BIRTH'));
    assert.throws(() => validity('1980-01-01', '2015-12-31'), refusal('NO_RULE_FOR_ISSUE_DATE'));
  });

  it('takes a new law as one more row of the table', () => {
    const reform: CardValidityRule = {
      id: 'hypothetical-reform',
      legalBasis: 'a later law',
      appliesToCardsIssuedFrom: d('2030-01-01'),
      renewalAges: [18, 50],
      graceYearsBeforeRenewal: 1,
      minimumAgeAtIssue: 0,
      leapDayAnniversary: 'february-28',
    };
    const rules = [...CARD_VALIDITY_RULES, reform];
    assert.equal(until(validity('2000-06-01', '2029-12-31', rules)), '2040-06-01 (40)');
    assert.equal(until(validity('2000-06-01', '2030-01-01', rules)), '2050-06-01 (50)');
    assert.equal(until(validity('2000-06-01', '2049-06-01', rules)), 'no-expiry');
  });
});
