import { refuseOutsideLimit, type ServiceAuth } from '@cancuoc/auth';
import { defineService, type ServiceRegistration } from '@cancuoc/grpc';
import {
  AdjudicationDecision,
  ApplicationStage,
  EnrollmentService,
  FingerExceptionReason,
  FingerprintFormat,
  RejectionReason,
  type FingerException as FingerExceptionMessage,
  type FingerprintsHeader,
  type UploadHeader,
} from '@cancuoc/proto';
import { checkPersonalId } from '@cancuoc/identity';
import type { RejectionReason as DomainRejection } from '../../domain/application/events.js';
import { TEN_FINGERS, type FingerException, type FingerPosition } from '../../domain/biometrics/fingers.js';
import type { Enrollment } from '../../application/enrollment.js';
import { CardOfAnotherCitizenError, NotYourStationError } from '../../application/errors.js';
import type { ApplicationView } from '../../application/read-model.js';
import { REASON_FROM_PROTO, STAGE_FROM_PROTO, summaryMessage, viewMessage } from '../application-proto.js';
import { atStation, commandContext, viewer, type EnrollmentCall } from './auth.js';
import { toRpcError } from './errors.js';
import { checks, MAX_NOTE } from './request-checks.js';
import { readUpload } from './uploads.js';

export interface UploadLimits {
  readonly maxFaceBytes: number;
  readonly maxFingerprintBytes: number;
}

const REJECTIONS = new Map<RejectionReason, DomainRejection>([
  [RejectionReason.IDENTITY_NOT_CONFIRMED, 'identity-not-confirmed'],
  [RejectionReason.BIOMETRICS_INADEQUATE, 'biometrics-inadequate'],
  [RejectionReason.NOT_ELIGIBLE, 'not-eligible'],
  [RejectionReason.OTHER, 'other'],
]);

const FORMATS = new Map<FingerprintFormat, 'iso-19794-2' | 'iso-19794-4'>([
  [FingerprintFormat.ISO_19794_2, 'iso-19794-2'],
  [FingerprintFormat.ISO_19794_4, 'iso-19794-4'],
]);

const DECISIONS = new Map<AdjudicationDecision, 'not-duplicate' | 'duplicate'>([
  [AdjudicationDecision.NOT_DUPLICATE, 'not-duplicate'],
  [AdjudicationDecision.DUPLICATE, 'duplicate'],
]);

const EXCEPTION_REASONS = new Map<FingerExceptionReason, FingerException['reason']>([
  [FingerExceptionReason.MISSING, 'missing'],
  [FingerExceptionReason.BANDAGED, 'bandaged'],
  [FingerExceptionReason.UNPRINTABLE, 'unprintable'],
]);

const FINGERS = new Set<number>(TEN_FINGERS);
const PRIORITY_MAX = 9;
const LEGAL_BASIS_MAX = 200;

/** The header of a ten-print, checked as it arrives, before a byte of the file is read. */
function checkFingerprintsHeader(header: FingerprintsHeader): void {
  const c = checks().enumValue(
    'header.format',
    header.format,
    FORMATS,
    'say whether the file is an ISO/IEC 19794-2 minutiae or 19794-4 finger image record',
  );
  if (header.exceptions.length > TEN_FINGERS.length) {
    c.add('header.exceptions', 'TOO_MANY', `at most ${TEN_FINGERS.length} fingers`);
  } else {
    header.exceptions.forEach((m, i) => {
      c.enumValue(`header.exceptions[${i}].finger`, m.finger, FINGERS, 'name the finger');
      c.enumValue(
        `header.exceptions[${i}].reason`,
        m.reason,
        EXCEPTION_REASONS,
        'say why the finger cannot be taken (missing, bandaged, unprintable)',
      );
    });
  }
  c.done();
}

/** The exceptions of a header {@link checkFingerprintsHeader} passed. */
const exceptionsFrom = (messages: readonly FingerExceptionMessage[]): FingerException[] =>
  messages.map((m) => ({ finger: m.finger as FingerPosition, reason: EXCEPTION_REASONS.get(m.reason)! }));

/** The RPC as the guard names it in refusals: `cancuoc.enrollment.v1.EnrollmentService/GetApplication`. */
const rpcOf = (call: EnrollmentCall) => `${call.method.parent.typeName}/${call.method.name}`;

const version = (v: bigint | undefined) => (v === undefined ? undefined : Number(v));

/** A command on one application: its id, and the version it expects. */
const command = (req: { applicationId: string; expectedVersion?: bigint | undefined }) =>
  checks()
    .uuid('application_id', req.applicationId, 'application')
    .version('expected_version', req.expectedVersion);

/**
 * `cancuoc.enrollment.v1.EnrollmentService` over the use cases. Who may call each RPC is the
 * platform policy's (`platformPolicy` in @cancuoc/auth), checked by the guard before a handler
 * runs; the handlers apply the grant's limit — an operator only their own station's applications.
 */
export function enrollmentService(
  enrollment: Enrollment,
  auth: Pick<ServiceAuth, 'authenticate' | 'refusals'>,
  limits: UploadLimits,
  clock: () => Date,
): ServiceRegistration {
  const { authenticate, refusals } = auth;
  const respond = (view: ApplicationView) => ({ application: viewMessage(view, clock()) });
  /**
   * Runs a use case and answers its refusals as statuses; a caller acting outside its limit —
   * another station's application, another citizen's card — is also counted and logged as a
   * refusal of that caller (`auth.refused`, and blocked after too many).
   */
  const guarded = async <T>(call: EnrollmentCall, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      const reason =
        error instanceof NotYourStationError
          ? 'OTHER_STATION'
          : error instanceof CardOfAnotherCitizenError
            ? 'CARD_OF_ANOTHER_CITIZEN'
            : undefined;
      if (reason)
        await refuseOutsideLimit(refusals, rpcOf(call), call.principal, reason, (error as Error).message);
      throw toRpcError(error);
    }
  };
  return defineService(
    EnrollmentService,
    { authenticate },
    {
      startApplication: async (req, call) => {
        const c = checks();
        const personalId = checkPersonalId(req.personalId, { field: 'personal_id' });
        if (!personalId.ok) for (const v of personalId.violations) c.add(v.field, v.reason, v.description);
        c.enumValue('reason', req.reason, REASON_FROM_PROTO, 'say why the card is applied for');
        if (req.priority > PRIORITY_MAX)
          c.add('priority', 'OUT_OF_RANGE', `from 0 (normal) to ${PRIORITY_MAX}`);
        c.cardId('replaces_card_id', req.replacesCardId, true).done();
        const context = atStation(call);
        return respond(
          await guarded(call, () =>
            enrollment.start(
              {
                personalId: req.personalId,
                reason: REASON_FROM_PROTO.get(req.reason),
                priority: req.priority,
                replacesCardId: req.replacesCardId || null,
              },
              context,
            ),
          ),
        );
      },
      captureFace: async (requests, call) => {
        const context = atStation(call);
        const { upload, bytes } = await readUpload<UploadHeader>(requests, (h) => h, limits.maxFaceBytes, {
          uploadPath: 'header.',
        });
        return respond(
          await guarded(call, () =>
            enrollment.captureFace(upload.applicationId, version(upload.expectedVersion), bytes, context),
          ),
        );
      },
      captureFingerprints: async (requests, call) => {
        const context = atStation(call);
        const { header, upload, bytes } = await readUpload<FingerprintsHeader>(
          requests,
          (h) => h.upload,
          limits.maxFingerprintBytes,
          { uploadPath: 'header.upload.', checkHeader: checkFingerprintsHeader },
        );
        const format = FORMATS.get(header.format)!;
        const exceptions = exceptionsFrom(header.exceptions);
        return respond(
          await guarded(call, () =>
            enrollment.captureFingerprints(
              upload.applicationId,
              version(upload.expectedVersion),
              bytes,
              format,
              exceptions,
              context,
            ),
          ),
        );
      },
      submitForReview: async (req, call) => {
        command(req).done();
        const context = atStation(call);
        return respond(
          await guarded(call, () =>
            enrollment.submitForReview(req.applicationId, version(req.expectedVersion), context),
          ),
        );
      },
      approveApplication: async (req, call) => {
        command(req).done();
        const context = commandContext(call);
        return respond(
          await guarded(call, () =>
            enrollment.approve(req.applicationId, version(req.expectedVersion), context),
          ),
        );
      },
      rejectApplication: async (req, call) => {
        command(req)
          .enumValue('reason', req.reason, REJECTIONS, 'say why the application is rejected')
          .text('note', req.note, MAX_NOTE)
          .done();
        const context = commandContext(call);
        return respond(
          await guarded(call, () =>
            enrollment.reject(
              req.applicationId,
              version(req.expectedVersion),
              REJECTIONS.get(req.reason),
              req.note,
              context,
            ),
          ),
        );
      },
      adjudicateApplication: async (req, call) => {
        command(req)
          .enumValue('decision', req.decision, DECISIONS, 'decide whether the candidates are the same person')
          .text('note', req.note, MAX_NOTE)
          .done();
        const context = commandContext(call);
        return respond(
          await guarded(call, () =>
            enrollment.adjudicate(
              req.applicationId,
              version(req.expectedVersion),
              DECISIONS.get(req.decision),
              req.note,
              context,
            ),
          ),
        );
      },
      cancelApplication: async (req, call) => {
        command(req).text('note', req.note, MAX_NOTE).done();
        const who = viewer(call);
        const context = commandContext(call);
        return respond(
          await guarded(call, () =>
            enrollment.cancel(
              req.applicationId,
              version(req.expectedVersion),
              req.note,
              who.stationId,
              context,
            ),
          ),
        );
      },
      getApplication: async (req, call) => {
        checks().uuid('application_id', req.applicationId, 'application').done();
        const who = viewer(call);
        return respond(await guarded(call, () => enrollment.get(req.applicationId, who)));
      },
      listApplications: async (req, call) => {
        const who = viewer(call);
        checks()
          .stationId('station_id', req.stationId, who.stationId !== null)
          .enumValue('stage', req.stage, STAGE_FROM_PROTO, 'a stage, or UNSPECIFIED for every stage', false)
          .done();
        const stationId = who.stationId ?? req.stationId;
        if (who.stationId !== null && req.stationId && req.stationId !== who.stationId) {
          await refuseOutsideLimit(
            refusals,
            rpcOf(call),
            call.principal,
            'OTHER_STATION',
            'operators list their own station only',
          );
        }
        const stage =
          req.stage === ApplicationStage.UNSPECIFIED ? undefined : STAGE_FROM_PROTO.get(req.stage);
        const page = await guarded(call, () =>
          enrollment.list(stationId, stage, req.pageSize, req.pageToken),
        );
        const now = clock();
        return {
          applications: page.applications.map((s) => summaryMessage(s, now)),
          nextPageToken: page.nextPageToken,
        };
      },
      listStuckApplications: async (req, call) => {
        checks().stationId('station_id', req.stationId, true).done();
        // Supervisors and the platform's administrators see every station's (`cancuoc stuck`);
        // a caller limited to its station, only that station's.
        const stationId = viewer(call).stationId ?? (req.stationId || undefined);
        const stuck = await guarded(call, () => enrollment.stuck(stationId, req.pageSize));
        const now = clock();
        return { applications: stuck.map((s) => summaryMessage(s, now)) };
      },
      eraseCitizenBiometrics: async (req, call) => {
        checks()
          .uuid('citizen_id', req.citizenId, 'citizen')
          .text('legal_basis', req.legalBasis, LEGAL_BASIS_MAX, true)
          .done();
        const destroyed = await guarded(call, () =>
          enrollment.eraseBiometrics(req.citizenId, req.legalBasis.trim(), call.principal.actor),
        );
        return { keysDestroyed: destroyed };
      },
    },
  );
}
