import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deciderSpec } from '@cancuoc/eventstore/testing';
import type { CitizenData, RegisterLookup } from './citizen-data.js';
import { printedData } from './citizen-data.js';
import type { ApplicationCommand } from './commands.js';
import { applicationDecider } from './decider.js';
import { NO_CARD_HISTORY, type CardHistory } from './eligibility.js';
import {
  ApplicationNotFoundError,
  ApplicationRuleViolationError,
  InvalidApplicationCommandError,
} from './errors.js';
import type { ApplicationEvent, ApplicationReason, BiometricRef } from './events.js';
import type { ApplicationState } from './state.js';

const { given } = deciderSpec(applicationDecider);

const NOW = '2026-11-26T03:00:00.000Z';
const PERSONAL_ID = '001190123456';
const CITIZEN_ID = '0192f000-0000-7000-8000-000000000001';
const AT = { operator: 'operator:hn-001', stationId: 'hn-07' };

const citizen = (overrides: Partial<CitizenData> = {}): CitizenData => ({
  personalId: PERSONAL_ID,
  familyName: 'Nguyễn',
  middleName: 'Thị Ánh',
  givenName: 'Đào',
  birthDate: '1990-05-17',
  sex: 'female',
  nationality: 'VNM',
  ethnicity: 'Kinh',
  religion: 'Không',
  homeTown: { provinceCode: '001', communeCode: '00004', detail: '' },
  birthPlace: { provinceCode: '001', communeCode: '00049', detail: '' },
  permanentResidence: { provinceCode: '092', communeCode: '31120', detail: '5 Hai Bà Trưng' },
  temporaryResidence: null,
  maritalStatus: 'single',
  fatherCitizenId: '',
  motherCitizenId: '',
  spouseCitizenId: '',
  deathDate: '',
  lastVerifiedDate: '',
  ...overrides,
});

const found = (
  overrides: Partial<Extract<RegisterLookup, { kind: 'found' }>> = {},
): Extract<RegisterLookup, { kind: 'found' }> => ({
  kind: 'found',
  citizenId: CITIZEN_ID,
  recordVersion: 3,
  citizen: citizen(),
  deceased: false,
  openQualityFlags: [],
  ...overrides,
});

const startCommand = (overrides: Partial<Extract<ApplicationCommand, { type: 'StartApplication' }>> = {}) =>
  ({
    type: 'StartApplication',
    now: NOW,
    ...AT,
    personalId: PERSONAL_ID,
    reason: 'first-issue',
    priority: 0,
    replacesCardId: null,
    lookup: undefined,
    history: NO_CARD_HISTORY,
    ...overrides,
  }) as const;

const started = (): ApplicationEvent =>
  applicationDecider.decide(startCommand(), applicationDecider.initialState())[0]!;
const pinned = (): ApplicationEvent => ({
  type: 'RegisterDataPinned',
  data: { citizenId: CITIZEN_ID, recordVersion: 3, citizen: citizen(), at: NOW },
});
const ref = (mediaType: string): BiometricRef => ({
  reference: '0192f000-0000-7000-8000-0000000000aa',
  sha256: 'ab'.repeat(32),
  mediaType,
  size: 1000,
  width: 480,
  height: 640,
});
const faceCaptured = (): ApplicationEvent => ({
  type: 'FaceCaptured',
  data: { face: ref('image/jpeg'), capturedBy: AT.operator, at: NOW },
});
const fingerprintsCaptured = (): ApplicationEvent => ({
  type: 'FingerprintsCaptured',
  data: {
    fingerprints: ref('application/vnd.iso.19794-2'),
    fingers: [1, 2, 3, 4, 5, 6, 7, 8, 9],
    exceptions: [{ finger: 10, reason: 'bandaged' }],
    capturedBy: AT.operator,
    at: NOW,
  },
});
const submitted = (): ApplicationEvent => ({
  type: 'SubmittedForReview',
  data: { submittedBy: AT.operator, at: NOW },
});
const cleared = (): ApplicationEvent => ({
  type: 'DuplicateCheckCleared',
  data: { matcher: 'built-in', comparedWith: 4, at: NOW },
});
const approved = (): ApplicationEvent => ({
  type: 'ApplicationApproved',
  data: { approvedBy: 'supervisor:hn-100', at: NOW },
});
const candidates = (): ApplicationEvent => ({
  type: 'DuplicateCandidatesFound',
  data: {
    matcher: 'built-in',
    comparedWith: 4,
    candidates: [{ applicationId: 'other', citizenId: 'other-citizen', score: 0.8, matchingFingers: 9 }],
    at: NOW,
  },
});

const rule = (expected: string) => (e: Error) =>
  assert.equal((e as ApplicationRuleViolationError).rule, expected);
const fields = (e: Error) =>
  (e as InvalidApplicationCommandError).violations.map((v) => `${v.field}:${v.reason}`);
const stageOf = (state: ApplicationState) => (state.status === 'exists' ? state.application.stage : 'none');
const history = (card: CardHistory['currentCard'], data: string | null = null): CardHistory => ({
  currentCard: card,
  currentCardData: data,
});

describe('application: start and the register', () => {
  it('starts at a station and waits for the register when it did not answer', () => {
    const state = given()
      .when(startCommand())
      .thenState([
        {
          type: 'ApplicationStarted',
          data: { personalId: PERSONAL_ID, stationId: 'hn-07', startedBy: 'operator:hn-001' },
        },
      ]);
    assert.equal(stageOf(state), 'started');
  });

  it('pins the register data at the version it was read at, ready for capture', () => {
    const state = given()
      .when(startCommand({ lookup: found() }))
      .thenState([
        { type: 'ApplicationStarted' },
        { type: 'RegisterDataPinned', data: { recordVersion: 3 } },
      ]);
    assert.equal(stageOf(state), 'capturing');
  });

  it('refuses a malformed start with every field at fault', () =>
    given()
      .when(startCommand({ personalId: '12345', reason: undefined, priority: 12, stationId: '' }))
      .thenThrows(InvalidApplicationCommandError, (e) => {
        const found = fields(e);
        for (const f of ['reason:REQUIRED', 'priority:OUT_OF_RANGE', 'stationId:INVALID'])
          assert.ok(found.includes(f), found.join());
        assert.ok(
          found.some((f) => f.startsWith('personalId:')),
          found.join(),
        );
      }));

  it('blocks a deceased citizen with the rule', () =>
    given()
      .when(startCommand({ lookup: found({ deceased: true }) }))
      .then([
        { type: 'ApplicationStarted' },
        { type: 'ApplicationBlocked', data: { rule: 'CITIZEN_DECEASED' } },
      ]));

  it('blocks a record with open quality flags, naming the flags and nothing personal', () =>
    given()
      .when(startCommand({ lookup: found({ openQualityFlags: ['PROBABLE_DUPLICATE', 'STALE'] }) }))
      .then([
        { type: 'ApplicationStarted' },
        {
          type: 'ApplicationBlocked',
          data: {
            rule: 'REGISTER_RECORD_FLAGGED',
            description:
              'the register record has open quality flags (PROBABLE_DUPLICATE, STALE); the commune police must settle them before a card is made',
          },
        },
      ]));

  it('pins later, when the re-processor gets the answer; a citizen the register lacks is blocked', () => {
    given(started())
      .when({ type: 'PinRegisterData', lookup: found(), history: NO_CARD_HISTORY, now: NOW })
      .then([{ type: 'RegisterDataPinned' }]);
    given(started())
      .when({ type: 'PinRegisterData', lookup: { kind: 'not-found' }, history: NO_CARD_HISTORY, now: NOW })
      .then([{ type: 'ApplicationBlocked', data: { rule: 'CITIZEN_NOT_IN_REGISTER' } }]);
  });

  it('does not pin twice', () =>
    given(started(), pinned())
      .when({ type: 'PinRegisterData', lookup: found(), history: NO_CARD_HISTORY, now: NOW })
      .thenThrows(ApplicationRuleViolationError, rule('WRONG_STAGE')));

  it('refuses commands for an application that does not exist', () =>
    given()
      .when({ type: 'Approve', supervisor: 'supervisor:x', now: NOW })
      .thenThrows(ApplicationNotFoundError));
});

describe('application: eligibility', () => {
  const startWith = (reason: ApplicationReason, h: CardHistory, c = citizen()) =>
    given().when(startCommand({ reason, lookup: found({ citizen: c }), history: h }));

  it('no first issue for a citizen who has a card', () =>
    startWith('first-issue', history({ status: 'issued', expiryDate: '2030-05-17' })).then([
      { type: 'ApplicationStarted' },
      { type: 'ApplicationBlocked', data: { rule: 'CARD_ALREADY_ISSUED' } },
    ]));

  it('renewal opens two years before the current card expires', () => {
    startWith('renewal', history({ status: 'issued', expiryDate: '2030-05-17' })).then([
      { type: 'ApplicationStarted' },
      { type: 'ApplicationBlocked', data: { rule: 'RENEWAL_TOO_EARLY' } },
    ]);
    startWith('renewal', history({ status: 'issued', expiryDate: '2028-05-17' })).then([
      { type: 'ApplicationStarted' },
      { type: 'RegisterDataPinned' },
    ]);
  });

  it('a card that does not expire is not renewed', () =>
    startWith('renewal', history({ status: 'issued', expiryDate: '' })).then([
      { type: 'ApplicationStarted' },
      { type: 'ApplicationBlocked', data: { rule: 'NO_RENEWAL_DUE' } },
    ]));

  it('with no card known, renewal opens two years before the first renewal age (14 under the 2023 law)', () => {
    startWith('renewal', NO_CARD_HISTORY, citizen({ birthDate: '2015-01-10' })).then([
      { type: 'ApplicationStarted' },
      { type: 'ApplicationBlocked', data: { rule: 'RENEWAL_TOO_EARLY' } },
    ]);
    startWith('renewal', NO_CARD_HISTORY, citizen({ birthDate: '2014-01-10' })).then([
      { type: 'ApplicationStarted' },
      { type: 'RegisterDataPinned' },
    ]);
  });

  it('no replacement while a card is still being made', () =>
    startWith('lost', history({ status: 'in-production', expiryDate: '2040-01-01' })).then([
      { type: 'ApplicationStarted' },
      { type: 'ApplicationBlocked', data: { rule: 'CARD_IN_PRODUCTION' } },
    ]));

  it('a changed-data card needs changed printed data', () => {
    const card = { status: 'issued' as const, expiryDate: '2030-05-17' };
    startWith('personal-data-changed', history(card, printedData(citizen()))).then([
      { type: 'ApplicationStarted' },
      { type: 'ApplicationBlocked', data: { rule: 'PRINTED_DATA_UNCHANGED' } },
    ]);
    startWith('personal-data-changed', history(card, printedData(citizen({ givenName: 'Mai' })))).then([
      { type: 'ApplicationStarted' },
      { type: 'RegisterDataPinned' },
    ]);
  });
});

describe('application: capture and review', () => {
  it('captures face and fingerprints at its own station, and may capture again', () => {
    given(started(), pinned())
      .when({ type: 'CaptureFace', ...AT, face: ref('image/jpeg'), now: NOW })
      .then([{ type: 'FaceCaptured' }]);
    given(started(), pinned(), faceCaptured())
      .when({ type: 'CaptureFace', ...AT, face: ref('image/png'), now: NOW })
      .then([{ type: 'FaceCaptured', data: { face: ref('image/png') } }]);
  });

  it('refuses a capture from another station, or before the register data is pinned', () => {
    given(started(), pinned())
      .when({
        type: 'CaptureFace',
        operator: 'operator:x',
        stationId: 'hcm-01',
        face: ref('image/jpeg'),
        now: NOW,
      })
      .thenThrows(ApplicationRuleViolationError, rule('WRONG_STATION'));
    given(started())
      .when({ type: 'CaptureFace', ...AT, face: ref('image/jpeg'), now: NOW })
      .thenThrows(ApplicationRuleViolationError, rule('WRONG_STAGE'));
  });

  it('accounts for all ten fingers: each captured or excused', () => {
    given(started(), pinned())
      .when({
        type: 'CaptureFingerprints',
        ...AT,
        fingerprints: ref('application/vnd.iso.19794-2'),
        fingers: [1, 2, 3, 4, 5, 6, 7, 8],
        exceptions: [{ finger: 1, reason: 'bandaged' }],
        now: NOW,
      })
      .thenThrows(InvalidApplicationCommandError, (e) =>
        assert.deepEqual(fields(e).sort(), [
          'exceptions:EXCEPTION_FOR_CAPTURED_FINGER',
          'record:FINGERS_UNACCOUNTED',
        ]),
      );
    given(started(), pinned())
      .when({
        type: 'CaptureFingerprints',
        ...AT,
        fingerprints: ref('application/vnd.iso.19794-2'),
        fingers: [10, 9, 8, 7, 6, 5, 4, 3, 2],
        exceptions: [{ finger: 1, reason: 'missing' }],
        now: NOW,
      })
      .then([{ type: 'FingerprintsCaptured', data: { fingers: [2, 3, 4, 5, 6, 7, 8, 9, 10] } }]);
  });

  it('submits for review only with both face and fingerprints', () => {
    given(started(), pinned(), faceCaptured())
      .when({ type: 'SubmitForReview', ...AT, now: NOW })
      .thenThrows(ApplicationRuleViolationError, rule('FINGERPRINTS_MISSING'));
    const state = given(started(), pinned(), faceCaptured(), fingerprintsCaptured())
      .when({ type: 'SubmitForReview', ...AT, now: NOW })
      .thenState([{ type: 'SubmittedForReview' }]);
    assert.equal(stageOf(state), 'duplicate-check');
  });

  it('a clear duplicate check goes to review; candidates stop it for adjudication', () => {
    const base = [started(), pinned(), faceCaptured(), fingerprintsCaptured(), submitted()];
    assert.equal(
      stageOf(
        given(...base)
          .when({
            type: 'RecordDuplicateCheck',
            matcher: 'built-in',
            comparedWith: 3,
            candidates: [],
            now: NOW,
          })
          .thenState([{ type: 'DuplicateCheckCleared' }]),
      ),
      'review',
    );
    const state = given(...base)
      .when({
        type: 'RecordDuplicateCheck',
        matcher: 'built-in',
        comparedWith: 3,
        candidates: [{ applicationId: 'a', citizenId: 'c', score: 0.9, matchingFingers: 8 }],
        now: NOW,
      })
      .thenState([{ type: 'DuplicateCandidatesFound' }]);
    assert.equal(stageOf(state), 'adjudication');
  });

  it('cannot be approved while candidates wait for adjudication', () =>
    given(started(), pinned(), faceCaptured(), fingerprintsCaptured(), submitted(), candidates())
      .when({ type: 'Approve', supervisor: 'supervisor:hn-100', now: NOW })
      .thenThrows(ApplicationRuleViolationError, rule('WRONG_STAGE')));

  it('a supervisor clears the candidates (to review) or confirms a duplicate (rejected)', () => {
    const base = [started(), pinned(), faceCaptured(), fingerprintsCaptured(), submitted(), candidates()];
    assert.equal(
      stageOf(
        given(...base)
          .when({
            type: 'Adjudicate',
            supervisor: 'supervisor:hn-100',
            decision: 'not-duplicate',
            note: 'twins',
            now: NOW,
          })
          .thenState([{ type: 'DuplicateAdjudicated' }]),
      ),
      'review',
    );
    const rejected = given(...base)
      .when({
        type: 'Adjudicate',
        supervisor: 'supervisor:hn-100',
        decision: 'duplicate',
        note: '',
        now: NOW,
      })
      .thenState([{ type: 'DuplicateAdjudicated' }]);
    assert.equal(stageOf(rejected), 'rejected');
    assert.equal(rejected.status === 'exists' && rejected.application.closedReason, 'DUPLICATE_IDENTITY');
  });

  it('approval submits to card production, but not by the staff member who took it', () => {
    const base = [started(), pinned(), faceCaptured(), fingerprintsCaptured(), submitted(), cleared()];
    given(...base)
      .when({ type: 'Approve', supervisor: 'supervisor:hn-001', now: NOW })
      .thenThrows(ApplicationRuleViolationError, rule('SEPARATION_OF_DUTIES'));
    const state = given(...base)
      .when({ type: 'Approve', supervisor: 'supervisor:hn-100', now: NOW })
      .thenState([{ type: 'ApplicationApproved' }]);
    assert.equal(stageOf(state), 'submitted');
  });

  it('rejection needs a reason; cancellation is for open applications only', () => {
    const base = [started(), pinned(), faceCaptured(), fingerprintsCaptured(), submitted(), cleared()];
    given(...base)
      .when({ type: 'Reject', supervisor: 'supervisor:hn-100', reason: undefined, note: '', now: NOW })
      .thenThrows(InvalidApplicationCommandError);
    given(...base)
      .when({
        type: 'Reject',
        supervisor: 'supervisor:hn-100',
        reason: 'identity-not-confirmed',
        note: '',
        now: NOW,
      })
      .then([{ type: 'ApplicationRejected' }]);
    given(...base, approved())
      .when({ type: 'Cancel', by: 'operator:hn-001', stationId: 'hn-07', note: '', now: NOW })
      .thenThrows(ApplicationRuleViolationError, rule('WRONG_STAGE'));
  });
});

describe('application: card production closes it', () => {
  const submittedApplication = [
    started(),
    pinned(),
    faceCaptured(),
    fingerprintsCaptured(),
    submitted(),
    cleared(),
    approved(),
  ];

  it('a delivered card completes the application; the same news again changes nothing', () => {
    const state = given(...submittedApplication)
      .when({ type: 'RecordCardStatus', cardId: 'card-1', status: 'delivered', now: NOW })
      .thenState([{ type: 'ApplicationCompleted', data: { cardId: 'card-1' } }]);
    assert.equal(stageOf(state), 'completed');
    const completed: ApplicationEvent = {
      type: 'ApplicationCompleted',
      data: { cardId: 'card-1', cardStatus: 'delivered', at: NOW },
    };
    given(...submittedApplication, completed)
      .when({ type: 'RecordCardStatus', cardId: 'card-1', status: 'activated', now: NOW })
      .thenNothingHappened();
  });

  it('a cancelled card job cancels the application, so the citizen can apply again', () =>
    given(...submittedApplication)
      .when({ type: 'RecordCardStatus', cardId: 'card-1', status: 'cancelled', now: NOW })
      .then([{ type: 'ApplicationCancelled', data: { reason: 'card-cancelled' } }]));
});
