import {
  defineService,
  invalidArgument,
  requireRole,
  type Authenticator,
  type ServiceRegistration,
} from '@cancuoc/grpc';
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
import type { ApplicationView } from '../../application/read-model.js';
import { REASON_FROM_PROTO, STAGE_FROM_PROTO, summaryMessage, viewMessage } from '../application-proto.js';
import { atStation, supervisor, viewer, type EnrollmentCaller } from './auth.js';
import { guarded } from './errors.js';
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const version = (v: bigint | undefined) => (v === undefined ? undefined : Number(v));

function requireId(id: string): string {
  if (!id)
    throw invalidArgument([
      { field: 'application_id', reason: 'REQUIRED', description: 'name the application' },
    ]);
  return id;
}

/** `cancuoc.enrollment.v1.EnrollmentService` over the use cases, with the role each RPC needs. */
export function enrollmentService(
  enrollment: Enrollment,
  authenticate: Authenticator<EnrollmentCaller>,
  limits: UploadLimits,
  clock: () => Date,
): ServiceRegistration {
  const respond = (view: ApplicationView) => ({ application: viewMessage(view, clock()) });
  return defineService(
    EnrollmentService,
    { authenticate },
    {
      startApplication: async (req, call) => {
        const context = atStation(call);
        return respond(
          await guarded(() =>
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
          await guarded(() =>
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
          await guarded(() =>
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
          await guarded(() =>
            enrollment.submitForReview(requireId(req.applicationId), version(req.expectedVersion), context),
          ),
        );
      },
      approveApplication: async (req, call) => {
        const context = supervisor(call);
        return respond(
          await guarded(() =>
            enrollment.approve(requireId(req.applicationId), version(req.expectedVersion), context),
          ),
        );
      },
      rejectApplication: async (req, call) => {
        const context = supervisor(call);
        return respond(
          await guarded(() =>
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
        const context = supervisor(call);
        return respond(
          await guarded(() =>
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
        const context = who.stationId === null ? supervisor(call) : atStation(call);
        return respond(
          await guarded(() =>
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
        return respond(await guarded(() => enrollment.get(requireId(req.applicationId), who)));
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
          throw invalidArgument([
            {
              field: 'station_id',
              reason: 'OTHER_STATION',
              description: 'operators list their own station only',
            },
          ]);
        }
        const stage =
          req.stage === ApplicationStage.UNSPECIFIED ? undefined : STAGE_FROM_PROTO.get(req.stage);
        const page = await guarded(() => enrollment.list(stationId, stage, req.pageSize, req.pageToken));
        const now = clock();
        return {
          applications: page.applications.map((s) => summaryMessage(s, now)),
          nextPageToken: page.nextPageToken,
        };
      },
      listStuckApplications: async (req, call) => {
        // The platform's administrators see every station's (`cancuoc stuck`); others as viewers.
        const stationId = call.principal.roles.includes('admin')
          ? req.stationId || undefined
          : (viewer(call).stationId ?? (req.stationId || undefined));
        const stuck = await guarded(() => enrollment.stuck(stationId, req.pageSize));
        const now = clock();
        return { applications: stuck.map((s) => summaryMessage(s, now)) };
      },
      eraseCitizenBiometrics: async (req, call) => {
        requireRole(call.principal, 'admin');
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
        const destroyed = await guarded(() =>
          enrollment.eraseBiometrics(req.citizenId, req.legalBasis.trim(), call.principal.actor),
        );
        return { keysDestroyed: destroyed };
      },
    },
  );
}
