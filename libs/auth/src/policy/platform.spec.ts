import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DescMethod, DescService } from '@bufbuild/protobuf';
import { RpcError } from '@cancuoc/grpc';
import * as proto from '@cancuoc/proto';
import { status } from '@grpc/grpc-js';
import { DevelopmentIssuer } from '../development-issuer.js';
import { guard, STATION_TOKEN_HEADER } from '../guard.js';
import { identities, type Identity } from '../identities.js';
import { TokenVerifier } from '../verifier.js';
import { platformPolicy } from './platform.js';
import { Metadata } from '@grpc/grpc-js';

/** Every gRPC service the contracts define, found by walking the generated code's exports. */
function allServices(): DescService[] {
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
function audienceOf(service: DescService): string {
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

/** The callers of the matrix: one of each kind and role, and some that hold nothing useful. */
const CALLERS = {
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
type CallerName = keyof typeof CALLERS;

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
function expectedCallers(method: DescMethod): readonly CallerName[] {
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

describe('the platform policy', () => {
  const services = allServices();

  it('covers every RPC of every service the contracts define (deny by default)', () => {
    assert.ok(services.length >= 10, `found ${services.length} services`);
    const missing = services.flatMap((s) =>
      s.methods.filter((m) => !platformPolicy.ruleFor(m)).map((m) => `${s.typeName}/${m.name}`),
    );
    assert.deepEqual(missing, []);
    assert.deepEqual(platformPolicy.services().sort(), services.map((s) => s.typeName).sort());
  });

  it('allows each caller exactly the RPCs the matrix lists, and refuses the rest before any handler', async () => {
    const issuer = await DevelopmentIssuer.inMemory();
    const transport = { peer: 'ipv4:127.0.0.1:5000', certificate: undefined };
    const mismatches: string[] = [];
    let calls = 0;
    for (const service of services) {
      const audience = audienceOf(service);
      const authenticate = guard({
        verifier: new TokenVerifier({ issuer: issuer.issuer, audience, keys: issuer.keys() }),
        policy: platformPolicy,
      });
      for (const method of service.methods) {
        const expected = new Set(expectedCallers(method));
        for (const [name, identity] of Object.entries(CALLERS) as [CallerName, Identity][]) {
          const metadata = new Metadata();
          metadata.set('authorization', `Bearer ${await issuer.mint({ ...identity, audience })}`);
          if (name === 'operatorAtStation')
            metadata.set(
              STATION_TOKEN_HEADER,
              await issuer.mint({ ...identities.enrollmentStation('hn-07'), audience }),
            );
          calls += 1;
          const outcome = await Promise.resolve(
            authenticate(metadata, method, { ...transport, peer: `ipv4:10.0.${calls % 250}.1:1` }),
          ).then(
            () => 'allowed',
            (error: unknown) => {
              assert.ok(error instanceof RpcError, String(error));
              assert.equal(
                error.code,
                status.PERMISSION_DENIED,
                `${name} on ${method.name}: ${error.message}`,
              );
              return 'denied';
            },
          );
          if ((outcome === 'allowed') !== expected.has(name))
            mismatches.push(`${service.typeName}/${method.name} ${name}: ${outcome}`);
        }
      }
    }
    assert.deepEqual(mismatches, []);
    const rpcs = services.reduce((n, s) => n + s.methods.length, 0);
    assert.equal(calls, rpcs * Object.keys(CALLERS).length);
  });
});
