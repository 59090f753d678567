import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CalendarDate } from '@cancuoc/identity';
import { CITIZEN_FIELDS } from '../catalogue/fields.js';
import { normalTerms, type Terms, type TermsInput } from '../subscription/terms.js';
import { card, citizenWith, enrolment, record } from '../test-support/citizens.js';
import { disclose } from './disclose.js';

const TODAY = CalendarDate.parse('2026-11-26');

function terms(input: Partial<TermsInput> & { fields: string[] }): Terms {
  const result = normalTerms(
    {
      sensitiveBases: input.fields
        .filter((f) => ['ethnicity', 'religion', 'biometric_references'].includes(f))
        .map((field) => ({ field, legalBasis: 'Điều 1' })),
      scope: { provinceCodes: [], aliveOnly: false, minAge: null, maxAge: null },
      delivery: 'kafka',
      ...input,
    },
    '',
  );
  assert.ok('terms' in result, JSON.stringify(result.violations));
  return result.terms;
}

describe('disclosure: what an agency may know of a citizen', () => {
  it('holds the subscription’s fields and no key for any other', () => {
    const d = disclose(citizenWith(record()), terms({ fields: ['name', 'birth_date'] }), TODAY);
    assert.deepEqual(Object.keys(d!.values).sort(), ['birth_date', 'name']);
    assert.deepEqual(d!.fields, ['name', 'birth_date']);
  });

  it('gives every catalogue field a value when all are allowed', () => {
    const d = disclose(
      citizenWith(record(), { cards: [card()], enrolments: [enrolment()] }),
      terms({ fields: [...CITIZEN_FIELDS] }),
      TODAY,
    );
    assert.deepEqual(Object.keys(d!.values).sort(), [...CITIZEN_FIELDS].sort());
    assert.equal(d!.values.card?.status, 'active');
    assert.equal(d!.values.biometric_references?.face?.reference, 'face-ref-1');
  });

  it('resolves a residence recorded under a merged province to today’s province', () => {
    const d = disclose(
      citizenWith(record({ permanentResidence: { provinceCode: '027', communeCode: '09000', detail: 'x' } })),
      terms({ fields: ['permanent_residence'] }),
      TODAY,
    );
    assert.equal(d!.values.permanent_residence?.currentProvinceCode, '024');
    assert.equal(
      d!.values.permanent_residence?.address?.provinceCode,
      '027',
      'the address stays as recorded',
    );
  });

  it('leaves out the dead when alive only, and citizens outside the provinces or ages', () => {
    const scoped = (scope: TermsInput['scope']) => terms({ fields: ['name'], scope });
    const dead = citizenWith(record({ deathDate: '2026-01-02' }));
    const all = { provinceCodes: [], aliveOnly: false, minAge: null, maxAge: null };
    assert.ok(disclose(dead, scoped(all), TODAY));
    assert.equal(disclose(dead, scoped({ ...all, aliveOnly: true }), TODAY), null);
    const bacGiang = citizenWith(
      record({ permanentResidence: { provinceCode: '024', communeCode: '07000', detail: '' } }),
    );
    assert.ok(
      disclose(bacGiang, scoped({ ...all, provinceCodes: ['027'] }), TODAY),
      'old Bắc Giang is in the new Bắc Ninh',
    );
    assert.equal(disclose(bacGiang, scoped({ ...all, provinceCodes: ['001'] }), TODAY), null);
    const homeless = citizenWith(record({ permanentResidence: null }));
    assert.equal(disclose(homeless, scoped({ ...all, provinceCodes: ['001'] }), TODAY), null);
    const born1990 = citizenWith(record({ birthDate: '1990-11-26' }));
    assert.ok(
      disclose(born1990, scoped({ ...all, minAge: 36, maxAge: 36 }), TODAY),
      '36 on the birthday itself',
    );
    assert.equal(disclose(born1990, scoped({ ...all, minAge: 37, maxAge: null }), TODAY), null);
    assert.equal(disclose(born1990, scoped({ ...all, minAge: null, maxAge: 35 }), TODAY), null);
  });

  it('has no view of a citizen of whom nothing remains in the allowed fields', () => {
    const onlyCard = terms({ fields: ['card', 'spouse'] });
    assert.equal(disclose(citizenWith(record()), onlyCard, TODAY), null);
    const d = disclose(citizenWith(record(), { cards: [card()] }), onlyCard, TODAY);
    assert.deepEqual(Object.keys(d!.values).sort(), ['card', 'spouse']);
    assert.equal(d!.values.spouse, null, 'an allowed field without data is there, empty');
  });

  it('has no view before the register’s record arrives', () => {
    assert.equal(disclose(citizenWith(null, { cards: [card()] }), terms({ fields: ['card'] }), TODAY), null);
  });
});
