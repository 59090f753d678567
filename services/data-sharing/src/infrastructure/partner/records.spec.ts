import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { CalendarDate } from '@cancuoc/identity';
import { partner } from '@cancuoc/proto';
import { disclose } from '../../domain/disclosure/disclose.js';
import { normalTerms } from '../../domain/subscription/terms.js';
import { citizenWith, record } from '../../domain/test-support/citizens.js';
import { encodeDisclosure } from './codec.js';
import { partnerRecords, type Delivery } from './records.js';

const TODAY = CalendarDate.parse('2026-11-26');
const result = normalTerms(
  {
    fields: ['name', 'birth_date', 'spouse'],
    sensitiveBases: [],
    scope: { provinceCodes: [], aliveOnly: false, minAge: null, maxAge: null },
    delivery: 'kafka',
  },
  '',
);
const terms = 'terms' in result ? result.terms : assert.fail('valid terms');
const encoded = (givenName: string) =>
  encodeDisclosure(
    disclose(citizenWith(record({ name: { familyName: 'Lê', middleName: '', givenName } })), terms, TODAY)!,
  );
const delivery = (previous: Uint8Array | null, next: Uint8Array | null): Delivery => ({
  agency: 'alpha',
  citizenId: '0193a000-0000-7000-8000-0000000000c1',
  previous,
  next,
  sequence: 4,
  position: 120n,
  changedAt: new Date('2026-11-26T03:00:00Z'),
});

describe('partner records', () => {
  it('carry CloudEvents headers with the agency’s own sequence and the projection position, nothing of the register’s internals', () => {
    const [citizen, change] = partnerRecords(delivery(null, encoded('An')));
    assert.equal(citizen!.topic, 'partner.alpha.citizen.v1');
    assert.equal(change!.topic, 'partner.alpha.citizen-changes.v1');
    assert.equal(citizen!.key, '0193a000-0000-7000-8000-0000000000c1');
    assert.deepEqual(Object.keys(citizen!.headers).sort(), [
      'cancuoc_position',
      'ce_id',
      'ce_sequence',
      'ce_source',
      'ce_specversion',
      'ce_subject',
      'ce_time',
      'ce_type',
      'content-type',
    ]);
    assert.equal(citizen!.headers['ce_type'], 'cancuoc.partner.v1.PartnerCitizen');
    assert.equal(citizen!.headers['ce_sequence'], '4');
    assert.equal(citizen!.headers['cancuoc_position'], '120');
    assert.notEqual(citizen!.headers['ce_id'], change!.headers['ce_id']);
    assert.equal(
      partnerRecords(delivery(null, encoded('An')))[0]!.headers['ce_id'],
      citizen!.headers['ce_id'],
      'the same delivery sent again has the same id',
    );
  });

  it('say how the view changed: entered, updated (which shared fields), left — a tombstone then', () => {
    const entered = fromBinary(
      partner.PartnerCitizenChangedSchema,
      partnerRecords(delivery(null, encoded('An')))[1]!.value!,
    );
    assert.equal(entered.kind, partner.PartnerChangeKind.ENTERED_SCOPE);
    assert.equal(entered.citizen?.name?.givenName, 'An');
    const updated = fromBinary(
      partner.PartnerCitizenChangedSchema,
      partnerRecords(delivery(encoded('An'), encoded('Ân')))[1]!.value!,
    );
    assert.equal(updated.kind, partner.PartnerChangeKind.UPDATED);
    assert.deepEqual(updated.changedFields, [partner.CitizenField.NAME]);
    const [tombstone, left] = partnerRecords(delivery(encoded('Ân'), null));
    assert.equal(tombstone!.value, null);
    assert.equal(tombstone!.headers['ce_type'], 'cancuoc.partner.v1.PartnerCitizen');
    const leftMessage = fromBinary(partner.PartnerCitizenChangedSchema, left!.value!);
    assert.equal(leftMessage.kind, partner.PartnerChangeKind.LEFT_SCOPE);
    assert.equal(leftMessage.citizen, undefined);
  });

  it('mark an allowed field without data present and empty, and every other field absent', () => {
    const citizen = fromBinary(partner.PartnerCitizenSchema, encoded('An'));
    assert.ok(citizen.spouse, 'spouse allowed: present');
    assert.equal(citizen.spouse?.spouseCitizenId, undefined, '… and empty: not married');
    assert.equal(citizen.personalId, undefined);
    assert.equal(citizen.vitalStatus, undefined);
    assert.deepEqual(citizen.sharedFields, [
      partner.CitizenField.NAME,
      partner.CitizenField.BIRTH_DATE,
      partner.CitizenField.SPOUSE,
    ]);
  });
});
