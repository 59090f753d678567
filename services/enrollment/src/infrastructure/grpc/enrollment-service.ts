import { refuseOutsideLimit, type ServiceAuth } from '@cancuoc/auth';
import { defineService, invalidArgument, type ServiceRegistration } from '@cancuoc/grpc';
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
import type { RejectionReason as DomainRejection } from '../../domain/application/events.js';
import { isFingerPosition, type FingerException } from '../../domain/biometrics/fingers.js';
import type { Enrollment } from '../../application/enrollment.js';
import { CardOfAnotherCitizenError, NotYourStationError } from '../../application/errors.js';
import type { ApplicationView } from '../../application/read-model.js';
import { REASON_FROM_PROTO, STAGE_FROM_PROTO, summaryMessage, viewMessage } from '../application-proto.js';
import { atStation, commandContext, viewer, type EnrollmentCall } from './auth.js';
import { toRpcError } from './errors.js';
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

function exceptionsFrom(messages: readonly FingerExceptionMessage[]): FingerException[] {
  const violations: { field: string; reason: string; description: string }[] = [];
  const out: FingerException[] = [];
  messages.forEach((m, i) => {
    const reason = EXCEPTION_REASONS.get(m.reason);
    if (!isFingerPosition(m.finger)) {
      violations.push({
        field: `header.exceptions[${i}].finger`,
        reason: 'REQUIRED',
        description: 'name the finger',
      });
    }
    if (!reason) {
      violations.push({
        field: `header.exceptions[${i}].reason`,
        reason: 'REQUIRED',
        description: 'say why the finger cannot be taken (missing, bandaged, unprintable)',
      });
    }
    if (isFingerPosition(m.finger) && reason) out.push({ finger: m.finger, reason });
  });
  if (violations.length > 0) throw invalidArgument(violations);
  return out;
}

/** The RPC as the guard names it in refusals: `cancuoc.enrollment.v1.EnrollmentService/GetApplication`. */
const rpcOf = (call: EnrollmentCall) => `${call.method.parent.typeName}/${call.method.name}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const version = (v: bigint | undefined) => (v === undefined ? undefined : Number(v));

function requireId(id: string): string {
  if (!id)
    throw invalidArgument([
      { field: 'application_id', reason: 'REQUIRED', description: 'name the application' },
    ]);
  return id;
}

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
        const { upload, bytes } = await readUpload<UploadHeader>(requests, (h) => h, limits.maxFaceBytes);
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
        );
        const format = FORMATS.get(header.format);
        if (!format) {
          throw invalidArgument([
            {
              field: 'header.format',
              reason: 'REQUIRED',
              description:
                'say whether the file is an ISO/IEC 19794-2 minutiae or 19794-4 finger image record',
            },
          ]);
        }
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
        const context = atStation(call);
        return respond(
          await guarded(call, () =>
            enrollment.submitForReview(requireId(req.applicationId), version(req.expectedVersion), context),
          ),
        );
      },
      approveApplication: async (req, call) => {
        const context = commandContext(call);
        return respond(
          await guarded(call, () =>
            enrollment.approve(requireId(req.applicationId), version(req.expectedVersion), context),
          ),
        );
      },
      rejectApplication: async (req, call) => {
        const context = commandContext(call);
        return respond(
          await guarded(call, () =>
            enrollment.reject(
              requireId(req.applicationId),
              version(req.expectedVersion),
              REJECTIONS.get(req.reason),
              req.note,
              context,
            ),
          ),
        );
      },
      adjudicateApplication: async (req, call) => {
        const context = commandContext(call);
        return respond(
          await guarded(call, () =>
            enrollment.adjudicate(
              requireId(req.applicationId),
              version(req.expectedVersion),
              DECISIONS.get(req.decision),
              req.note,
              context,
            ),
          ),
        );
      },
      cancelApplication: async (req, call) => {
        const who = viewer(call);
        const context = commandContext(call);
        return respond(
          await guarded(call, () =>
            enrollment.cancel(
              requireId(req.applicationId),
              version(req.expectedVersion),
              req.note,
              who.stationId,
              context,
            ),
          ),
        );
      },
      getApplication: async (req, call) => {
        const who = viewer(call);
        return respond(await guarded(call, () => enrollment.get(requireId(req.applicationId), who)));
      },
      listApplications: async (req, call) => {
        const who = viewer(call);
        const stationId = who.stationId ?? req.stationId;
        if (!stationId) {
          throw invalidArgument([
            { field: 'station_id', reason: 'REQUIRED', description: 'name the station' },
          ]);
        }
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
        // Supervisors and the platform's administrators see every station's (`cancuoc stuck`);
        // a caller limited to its station, only that station's.
        const stationId = viewer(call).stationId ?? (req.stationId || undefined);
        const stuck = await guarded(call, () => enrollment.stuck(stationId, req.pageSize));
        const now = clock();
        return { applications: stuck.map((s) => summaryMessage(s, now)) };
      },
      eraseCitizenBiometrics: async (req, call) => {
        const violations = [
          ...(UUID.test(req.citizenId)
            ? []
            : [
                {
                  field: 'citizen_id',
                  reason: 'INVALID',
                  description: "the register's record id of the citizen",
                },
              ]),
          ...(req.legalBasis.trim() && req.legalBasis.length <= 200
            ? []
            : [
                {
                  field: 'legal_basis',
                  reason: 'REQUIRED',
                  description: 'the decision the erasure is made under (200 characters at most)',
                },
              ]),
        ];
        if (violations.length > 0) throw invalidArgument(violations);
        const destroyed = await guarded(call, () =>
          enrollment.eraseBiometrics(req.citizenId, req.legalBasis.trim(), call.principal.actor),
        );
        return { keysDestroyed: destroyed };
      },
    },
  );
}
