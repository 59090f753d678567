import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GrpcClient } from '@cancuoc/grpc';
import {
  type FingerExceptionReason,
  type FingerPosition,
  FingerprintFormat,
  type RegistryService,
  Sex,
  type EnrollmentService,
} from '@cancuoc/proto';

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The header, then the file in chunks of `chunkSize` bytes. */
function* chunks(bytes: Uint8Array, chunkSize: number) {
  for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.subarray(at, at + chunkSize);
}

export function faceUpload(
  applicationId: string,
  bytes: Uint8Array,
  options: { chunkSize?: number; sha?: string } = {},
) {
  return [
    {
      part: {
        case: 'header' as const,
        value: { applicationId, size: BigInt(bytes.length), sha256: options.sha ?? sha256(bytes) },
      },
    },
    ...[...chunks(bytes, options.chunkSize ?? 64 * 1024)].map((c) => ({
      part: { case: 'chunk' as const, value: c },
    })),
  ];
}

export function fingerprintUpload(
  applicationId: string,
  bytes: Uint8Array,
  exceptions: { finger: FingerPosition; reason: FingerExceptionReason }[] = [],
  format = FingerprintFormat.ISO_19794_2,
) {
  return [
    {
      part: {
        case: 'header' as const,
        value: {
          upload: { applicationId, size: BigInt(bytes.length), sha256: sha256(bytes) },
          format,
          exceptions,
        },
      },
    },
    ...[...chunks(bytes, 4096)].map((c) => ({ part: { case: 'chunk' as const, value: c } })),
  ];
}

const BIRTH_PLACE = { provinceCode: '001', communeCode: '00049', detail: '' };
const CAI_KHE = { provinceCode: '092', communeCode: '31120', detail: '5 Hai Bà Trưng' };

const GIVEN_NAMES = ['Lan', 'Huệ', 'Cúc', 'Đào', 'Hạnh', 'Ngọc', 'Thảo', 'Trang', 'Vân', 'Yến'];
const givenNameFor = (personalId: string) =>
  `${GIVEN_NAMES[Number(personalId.slice(-1))]} ${GIVEN_NAMES[Number(personalId.slice(-2, -1))]}`;

/** Registers someone born in Hà Nội under `personalId` (whose G and YY digits must match). */
export async function registerCitizen(
  registry: GrpcClient<typeof RegistryService>,
  personalId: string,
  overrides: { givenName?: string; birthDate?: string; sex?: Sex } = {},
) {
  const { registration } = await registry.registerExistingCitizen({
    personalId,
    facts: {
      // Distinct names, or the register flags the records as probable duplicates of each other.
      name: {
        familyName: 'Trần',
        middleName: 'Thị',
        givenName: overrides.givenName ?? givenNameFor(personalId),
      },
      birthDate: overrides.birthDate ?? '1990-05-17',
      sex: overrides.sex ?? Sex.FEMALE,
      nationality: 'VNM',
      ethnicity: 'Kinh',
      religion: 'Không',
      birthPlace: BIRTH_PLACE,
      homeTown: CAI_KHE,
      permanentResidence: CAI_KHE,
    },
  });
  return registration!;
}

/** Polls `read` until `done` holds, with a generous deadline: the machine is shared. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(
        `condition not reached in ${timeoutMs} ms: ${JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`,
      );
    await sleep(100);
  }
}

export type EnrollmentClient = GrpcClient<typeof EnrollmentService>;
