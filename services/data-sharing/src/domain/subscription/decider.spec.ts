import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deciderSpec } from '@cancuoc/eventstore/testing';
import type { SubscriptionCommand } from './commands.js';
import { subscriptionDecider } from './decider.js';
import {
  InvalidSubscriptionCommandError,
  SubscriptionAlreadyExistsError,
  SubscriptionNotFoundError,
  SubscriptionRuleViolationError,
} from './errors.js';
import type { SubscriptionEvent } from './events.js';
import type { TermsInput } from './terms.js';

const { given } = deciderSpec(subscriptionDecider);

const AT = '2026-11-26T09:00:00.000Z';
const ID = '0193a000-0000-7000-8000-000000000001';
const terms = (overrides: Partial<TermsInput> = {}): TermsInput => ({
  fields: ['name', 'birth_date', 'vital_status'],
  sensitiveBases: [],
  scope: { provinceCodes: ['001'], aliveOnly: true, minAge: 18, maxAge: null },
  delivery: 'kafka-and-grpc',
  ...overrides,
});
const requestCommand = (
  overrides: Partial<Extract<SubscriptionCommand, { type: 'RequestSubscription' }>> = {},
) =>
  ({
    type: 'RequestSubscription',
    subscriptionId: ID,
    agency: 'bhxh',
    agencyName: 'Bảo hiểm xã hội Việt Nam',
    purpose: 'social-insurance-enrolment',
    purposeDescription: 'enrolling insured persons',
    legalBasis: 'Luật Bảo hiểm xã hội 2024, Điều 10',
    terms: terms(),
    by: 'admin:an',
    at: AT,
    ...overrides,
  }) as const;

const requested = (): SubscriptionEvent =>
  subscriptionDecider.decide(requestCommand(), subscriptionDecider.initialState())[0]!;
const approved = (): SubscriptionEvent => ({
  type: 'SubscriptionApproved',
  data: { approvedBy: 'admin:binh', approvedAt: AT },
});
const act = (by = 'admin:chi') => ({ by, at: AT });

describe('subscription decider', () => {
  it('records a request with its terms in normal form', () => {
    given()
      .when(requestCommand({ terms: terms({ fields: ['vital_status', 'name', 'birth_date'] }) }))
      .then([
        {
          type: 'SubscriptionRequested',
          data: {
            agency: 'bhxh',
            requestedBy: 'admin:an',
            terms: {
              fields: ['name', 'birth_date', 'vital_status'],
              sensitiveBases: [],
              scope: { provinceCodes: ['001'], aliveOnly: true, minAge: 18, maxAge: null },
              delivery: 'kafka-and-grpc',
            },
          },
        },
      ]);
  });

  it('refuses a sensitive field without its own legal basis, and a basis for a field not sensitive', () => {
    given()
      .when(
        requestCommand({
          terms: terms({
            fields: ['name', 'ethnicity', 'religion'],
            sensitiveBases: [
              { field: 'ethnicity', legalBasis: 'Nghị định 13, Điều 11' },
              { field: 'name', legalBasis: 'x' },
            ],
          }),
        }),
      )
      .thenThrows(InvalidSubscriptionCommandError, (e) => {
        const reasons = (e as InvalidSubscriptionCommandError).violations.map(
          (v) => `${v.field} ${v.reason}`,
        );
        assert.deepEqual(reasons.sort(), [
          'terms.sensitiveFieldBases SENSITIVE_FIELD_WITHOUT_BASIS',
          'terms.sensitiveFieldBases[1].field NOT_SENSITIVE',
        ]);
      });
  });

  it('reports every malformed input at once', () => {
    given()
      .when(
        requestCommand({
          agency: 'Bộ Y tế',
          purpose: '',
          legalBasis: ' ',
          terms: terms({
            fields: [],
            scope: { provinceCodes: ['999', '1'], aliveOnly: false, minAge: 30, maxAge: 20 },
            delivery: 'fax',
          }),
        }),
      )
      .thenThrows(InvalidSubscriptionCommandError, (e) => {
        const fields = (e as InvalidSubscriptionCommandError).violations.map((v) => v.field).sort();
        assert.deepEqual(fields, [
          'agency',
          'legalBasis',
          'purpose',
          'terms.delivery',
          'terms.fields',
          'terms.scope.maxAge',
          'terms.scope.provinceCodes[0]',
          'terms.scope.provinceCodes[1]',
        ]);
      });
  });

  it('accepts a province merged in 2025 by its old code', () => {
    given()
      .when(
        requestCommand({
          terms: terms({ scope: { provinceCodes: ['027'], aliveOnly: true, minAge: null, maxAge: null } }),
        }),
      )
      .then([{ type: 'SubscriptionRequested' }]);
  });

  it('refuses a second request for the same subscription', () => {
    given(requested()).when(requestCommand()).thenThrows(SubscriptionAlreadyExistsError);
  });

  it('is approved by a second administrator, never by the one who asked', () => {
    given(requested())
      .when({ type: 'ApproveSubscription', ...act('admin:an') })
      .thenThrows(SubscriptionRuleViolationError, (e) =>
        assert.equal((e as SubscriptionRuleViolationError).reason, 'SAME_APPROVER'),
      );
    given(requested())
      .when({ type: 'ApproveSubscription', ...act('admin:binh') })
      .then([{ type: 'SubscriptionApproved', data: { approvedBy: 'admin:binh' } }]);
  });

  it('applies a narrowing change at once', () => {
    given(requested(), approved())
      .when({
        type: 'ChangeSubscription',
        terms: terms({
          fields: ['name'],
          scope: { provinceCodes: ['001'], aliveOnly: true, minAge: 20, maxAge: 60 },
        }),
        reason: 'data minimisation review',
        ...act(),
      })
      .then([{ type: 'SubscriptionTermsChanged', data: { changedBy: 'admin:chi' } }]);
  });

  it('proposes a widening change, keeps the terms in force, and applies it once someone else approves', () => {
    const widen = {
      type: 'ChangeSubscription',
      terms: terms({ fields: ['name', 'birth_date', 'vital_status', 'permanent_residence'] }),
      reason: 'new legal duty',
      ...act('admin:chi'),
    } as const;
    const [proposed] = given(requested(), approved())
      .when(widen)
      .thenEvents([{ type: 'SubscriptionChangeProposed', data: { proposedBy: 'admin:chi' } }]);
    const state = [requested(), approved(), proposed!].reduce(
      subscriptionDecider.evolve,
      subscriptionDecider.initialState(),
    );
    assert.equal(state.status !== 'none' && state.terms.fields.length, 3, 'the old terms stay in force');
    given(requested(), approved(), proposed!)
      .when({ type: 'ApproveSubscription', ...act('admin:chi') })
      .thenThrows(SubscriptionRuleViolationError);
    given(requested(), approved(), proposed!)
      .when({ type: 'ApproveSubscription', ...act('admin:dung') })
      .then([{ type: 'SubscriptionChangeApproved', data: { approvedBy: 'admin:dung' } }]);
  });

  it('counts as widening: more provinces, all ages, the deceased too, another channel, another legal basis', () => {
    const widenings: TermsInput[] = [
      terms({ scope: { provinceCodes: ['001', '079'], aliveOnly: true, minAge: 18, maxAge: null } }),
      terms({ scope: { provinceCodes: ['001'], aliveOnly: true, minAge: null, maxAge: null } }),
      terms({ scope: { provinceCodes: ['001'], aliveOnly: false, minAge: 18, maxAge: null } }),
      terms({ scope: { provinceCodes: [], aliveOnly: true, minAge: 18, maxAge: null } }),
    ];
    for (const wider of widenings) {
      given(requested(), approved())
        .when({ type: 'ChangeSubscription', terms: wider, reason: 'r', ...act() })
        .then([{ type: 'SubscriptionChangeProposed' }]);
    }
    const kafkaOnly = terms({ delivery: 'kafka' });
    const [narrowed] = given(requested(), approved())
      .when({ type: 'ChangeSubscription', terms: kafkaOnly, reason: 'r', ...act() })
      .thenEvents([{ type: 'SubscriptionTermsChanged' }]);
    given(requested(), approved(), narrowed!)
      .when({ type: 'ChangeSubscription', terms: terms({ delivery: 'grpc' }), reason: 'r', ...act() })
      .then([{ type: 'SubscriptionChangeProposed' }]);
  });

  it('treats a merged province and its successor as the same scope', () => {
    const merged = terms({ scope: { provinceCodes: ['024'], aliveOnly: true, minAge: null, maxAge: null } });
    const [bacNinh] = given()
      .when(requestCommand({ terms: merged }))
      .thenEvents([{ type: 'SubscriptionRequested' }]);
    given(bacNinh!, approved())
      .when({
        type: 'ChangeSubscription',
        terms: terms({ scope: { provinceCodes: ['027'], aliveOnly: true, minAge: null, maxAge: null } }),
        reason: 'spelt by the old code',
        ...act(),
      })
      .then([{ type: 'SubscriptionTermsChanged' }]);
  });

  it('changes nothing for the same terms', () => {
    given(requested(), approved())
      .when({ type: 'ChangeSubscription', terms: terms(), reason: 'r', ...act() })
      .thenNothingHappened();
  });

  it('suspends, resumes and revokes, each with who and why', () => {
    const suspended: SubscriptionEvent = {
      type: 'SubscriptionSuspended',
      data: { by: 'admin:chi', at: AT, reason: 'incident' },
    };
    given(requested())
      .when({ type: 'SuspendSubscription', reason: 'x', ...act() })
      .thenThrows(SubscriptionRuleViolationError);
    given(requested(), approved())
      .when({ type: 'SuspendSubscription', reason: 'incident', ...act() })
      .then([{ type: 'SubscriptionSuspended', data: { by: 'admin:chi', reason: 'incident' } }]);
    given(requested(), approved(), suspended)
      .when({ type: 'ResumeSubscription', reason: 'fixed', ...act() })
      .then([{ type: 'SubscriptionResumed' }]);
    given(requested(), approved(), suspended)
      .when({ type: 'RevokeSubscription', reason: 'contract ended', ...act() })
      .then([{ type: 'SubscriptionRevoked', data: { reason: 'contract ended' } }]);
    given(requested())
      .when({ type: 'RevokeSubscription', reason: 'rejected', ...act() })
      .then([{ type: 'SubscriptionRevoked' }]);
  });

  it('refuses everything but a repeated revocation once revoked', () => {
    const revoked: SubscriptionEvent = {
      type: 'SubscriptionRevoked',
      data: { by: 'admin:chi', at: AT, reason: 'r' },
    };
    const history = [requested(), approved(), revoked];
    given(...history)
      .when({ type: 'RevokeSubscription', reason: 'again', ...act() })
      .thenNothingHappened();
    for (const command of [
      { type: 'ApproveSubscription', ...act('admin:dung') },
      { type: 'ResumeSubscription', reason: 'r', ...act() },
      { type: 'ChangeSubscription', terms: terms(), reason: 'r', ...act() },
    ] as SubscriptionCommand[]) {
      given(...history)
        .when(command)
        .thenThrows(SubscriptionRuleViolationError, (e) =>
          assert.equal((e as SubscriptionRuleViolationError).reason, 'SUBSCRIPTION_REVOKED'),
        );
    }
  });

  it('knows no subscription that was never requested', () => {
    given()
      .when({ type: 'ApproveSubscription', ...act() })
      .thenThrows(SubscriptionNotFoundError);
  });
});
