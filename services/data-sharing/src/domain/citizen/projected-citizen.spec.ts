import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { card, CITIZEN_ID, enrolment, record } from '../test-support/citizens.js';
import type { ReceivedEvent } from './events.js';
import { currentCard, currentEnrolment, evolveCitizen, newCitizen } from './projected-citizen.js';

const fold = (...events: ReceivedEvent[]) => events.reduce(evolveCitizen, newCitizen(CITIZEN_ID));
const recordAt = (recordVersion: number, givenName: string): ReceivedEvent => ({
  type: 'RegistryRecordReceived',
  data: { recordVersion, record: record({ name: { familyName: 'Lê', middleName: '', givenName } }) },
});

describe('internal citizen projection', () => {
  it('keeps the newest record version and ignores older or repeated ones', () => {
    const c = fold(recordAt(1, 'An'), recordAt(3, 'Ba'), recordAt(2, 'Hai'), recordAt(3, 'Lại'));
    assert.equal(c.recordVersion, 3);
    assert.equal(c.record?.name.givenName, 'Ba');
  });

  it('keeps each card at its newest version, whatever order they came in', () => {
    const c = fold(
      {
        type: 'CardReceived',
        data: { card: card({ cardVersion: 4, status: 'revoked', revocationReason: 'lost' }) },
      },
      { type: 'CardReceived', data: { card: card({ cardVersion: 2, status: 'shipped' }) } },
    );
    assert.equal(c.cards['card-1']?.status, 'revoked');
    assert.equal(c.record, null, 'a card may arrive before the record');
  });

  it('calls the card issued last the current one; a card still in production does not count', () => {
    const c = fold(
      {
        type: 'CardReceived',
        data: {
          card: card({
            cardId: 'old',
            issueDate: '2021-01-01',
            status: 'revoked',
            revocationReason: 'superseded',
          }),
        },
      },
      {
        type: 'CardReceived',
        data: { card: card({ cardId: 'new', issueDate: '2025-06-01', status: 'delivered' }) },
      },
      { type: 'CardReceived', data: { card: card({ cardId: 'next', issueDate: '', status: 'encoding' }) } },
    );
    assert.equal(currentCard(c)?.cardId, 'new');
    assert.equal(currentCard(newCitizen(CITIZEN_ID)), null);
  });

  it('takes the biometric references of the application submitted last', () => {
    const c = fold(
      {
        type: 'EnrolmentReceived',
        data: { enrolment: enrolment({ applicationId: 'a', submittedAt: '2021-01-01T00:00:00Z' }) },
      },
      {
        type: 'EnrolmentReceived',
        data: { enrolment: enrolment({ applicationId: 'b', submittedAt: '2025-01-01T00:00:00Z' }) },
      },
      {
        type: 'EnrolmentReceived',
        data: { enrolment: enrolment({ applicationId: 'c', submitted: false, submittedAt: '' }) },
      },
    );
    assert.equal(currentEnrolment(c)?.applicationId, 'b');
  });
});
