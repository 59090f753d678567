import type { DescMethod, DescService } from '@bufbuild/protobuf';
import * as proto from '@cancuoc/proto';
import { identities, type Identity } from '../identities.js';

/** Every gRPC service the contracts define, found by walking the generated code's exports. */
export function allServices(): DescService[] {
  const found = new Map<string, DescService>();
  const visit = (value: unknown, depth: number) => {
    if (typeof value !== 'object' || value === null || depth > 2) return;
    if ((value as { kind?: unknown }).kind === 'service') {
      const service = value as DescService;
      found.set(service.typeName, service);
      return;
    }
    for (const inner of Object.values(value)) visit(inner, depth + 1);
  };
  visit(proto, 0);
  return [...found.values()];
}

/** The audience of a service's RPCs: the service that serves them. */
export function audienceOf(service: DescService): string {
  const pkg = service.typeName.split('.').slice(0, 2).join('.');
  const byPackage: Record<string, string> = {
    'cancuoc.registry': 'registry',
    'cancuoc.enrollment': 'enrollment',
    'cancuoc.cardproduction': 'card-production',
    'cancuoc.datasharing': 'data-sharing',
    'cancuoc.operations': 'registry',
  };
  return byPackage[pkg]!;
}

/**
 * The caller matrix (issue 17): for every RPC, which of these callers may call it. Shared by the
 * policy's unit test and the end-to-end test that calls every RPC of a running platform.
 */

/** The callers of the matrix: one of each kind and role, and some that hold nothing useful. */
export const CALLERS = {
  clerk: identities.clerk('c-1', '79'),
  nationalClerk: identities.clerk('c-2', '01', { national: true }),
  admin: identities.administrator('a-1'),
  operator: identities.operator('o-1'),
  operatorAtStation: identities.operator('o-2'),
  supervisor: identities.supervisor('s-1'),
  rolelessPerson: { subject: 'person:nobody', kind: 'person', roles: [] } satisfies Identity,
  enrollmentService: identities.service('enrollment'),
  cardProductionService: identities.service('card-production'),
  registryService: identities.service('registry'),
  encodingStation: identities.encodingStation('enc-1'),
  enrollmentStation: identities.enrollmentStation('hn-07'),
  agency: identities.agency('bhxh'),
} as const;
export type CallerName = keyof typeof CALLERS;

const PEOPLE_AT_REGISTER: CallerName[] = ['clerk', 'nationalClerk'];
const RELYING: CallerName[] = [
  'admin',
  'encodingStation',
  'agency',
  'enrollmentService',
  'cardProductionService',
  'registryService',
];

/**
 * Who may call what, written out by caller rather than by grant: a change of the policy has to be
 * made here too, on purpose. Everything not listed is denied.
 */
const ALLOWED: Record<string, readonly CallerName[]> = {
  'cancuoc.registry.v1.RegistryService/GetCitizen': [...PEOPLE_AT_REGISTER, 'enrollmentService'],
  'cancuoc.registry.v1.RegistryService/GetQualityReport': [...PEOPLE_AT_REGISTER, 'admin'],
  'cancuoc.enrollment.v1.EnrollmentService/StartApplication': ['operatorAtStation'],
  'cancuoc.enrollment.v1.EnrollmentService/CaptureFace': ['operatorAtStation'],
  'cancuoc.enrollment.v1.EnrollmentService/CaptureFingerprints': ['operatorAtStation'],
  'cancuoc.enrollment.v1.EnrollmentService/SubmitForReview': ['operatorAtStation'],
  'cancuoc.enrollment.v1.EnrollmentService/ApproveApplication': ['supervisor'],
  'cancuoc.enrollment.v1.EnrollmentService/RejectApplication': ['supervisor'],
  'cancuoc.enrollment.v1.EnrollmentService/AdjudicateApplication': ['supervisor'],
  'cancuoc.enrollment.v1.EnrollmentService/CancelApplication': ['operatorAtStation', 'supervisor'],
  'cancuoc.enrollment.v1.EnrollmentService/GetApplication': ['operatorAtStation', 'supervisor'],
  'cancuoc.enrollment.v1.EnrollmentService/ListApplications': ['operatorAtStation', 'supervisor'],
  'cancuoc.enrollment.v1.EnrollmentService/ListStuckApplications': ['supervisor', 'admin'],
  'cancuoc.enrollment.v1.EnrollmentService/EraseCitizenBiometrics': ['admin'],
  'cancuoc.enrollment.v1.PersonalisationDataService/GetPortrait': ['cardProductionService'],
  'cancuoc.cardproduction.v1.CardProductionService/GetRevocationList': RELYING,
  'cancuoc.cardproduction.v1.CardProductionService/GetTrustAnchors': RELYING,
  'cancuoc.cardproduction.v1.EncodingStationService/StreamJobs': ['encodingStation'],
  'cancuoc.cardproduction.v1.EncodingStationService/CompleteJob': ['encodingStation'],
  'cancuoc.cardproduction.v1.EncodingStationService/FailJob': ['encodingStation'],
  'cancuoc.cardproduction.v1.EncodingStationService/Heartbeat': ['encodingStation'],
  'cancuoc.datasharing.v1.AgencyQueryService/GetCitizen': ['agency'],
  'cancuoc.datasharing.v1.AgencyQueryService/BatchGetCitizens': ['agency'],
  'cancuoc.datasharing.v1.AgencyQueryService/VerifyIdentity': ['agency'],
};

/** The default of each service not listed above: registry → clerks; the rest → administrators. */
export function expectedCallers(method: DescMethod): readonly CallerName[] {
  const name = `${method.parent.typeName}/${method.name}`;
  if (ALLOWED[name]) return ALLOWED[name];
  if (method.parent.typeName === 'cancuoc.registry.v1.RegistryService') return PEOPLE_AT_REGISTER;
  if (
    [
      'cancuoc.cardproduction.v1.CardProductionService',
      'cancuoc.datasharing.v1.SubscriptionService',
      'cancuoc.datasharing.v1.DataProtectionService',
      'cancuoc.datasharing.v1.OperationsService',
      'cancuoc.operations.v1.OperationsService',
    ].includes(method.parent.typeName)
  )
    return ['admin'];
  throw new Error(`the matrix has no expectation for ${name}`);
}
