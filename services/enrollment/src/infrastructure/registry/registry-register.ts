import type { TokenSource } from '@cancuoc/auth';
import {
  closeClient,
  createClient,
  grpcCode,
  status,
  type channelCredentialsFor,
  type GrpcClient,
} from '@cancuoc/grpc';
import {
  MaritalStatus,
  RegistryService,
  Sex,
  type Address,
  type Citizen,
  type GetCitizenResponse,
} from '@cancuoc/proto';
import type { AddressData, CitizenData, RegisterLookup } from '../../domain/application/citizen-data.js';
import { DependencyUnavailableError } from '../../application/errors.js';
import type { RegisterPort } from '../../application/ports.js';

export interface RegistryClientOptions {
  /** `host:port` of the registry's gRPC server. */
  readonly address: string;
  /** Enrollment's own tokens (`service:enrollment`), asked for audience `registry`; cached by the source. */
  readonly tokens: TokenSource;
  /** Mutual TLS in server mode (`channelCredentialsFor`); plaintext on the embedded platform. */
  readonly credentials: ReturnType<typeof channelCredentialsFor>;
  readonly timeoutMs?: number;
}

const address = (a: Address | undefined): AddressData | null =>
  a && (a.provinceCode || a.communeCode)
    ? { provinceCode: a.provinceCode, communeCode: a.communeCode, detail: a.detail }
    : null;

const SEX: Record<Sex, CitizenData['sex']> = {
  [Sex.UNSPECIFIED]: 'unspecified',
  [Sex.MALE]: 'male',
  [Sex.FEMALE]: 'female',
};

const MARITAL: Record<MaritalStatus, CitizenData['maritalStatus']> = {
  [MaritalStatus.UNSPECIFIED]: 'unspecified',
  [MaritalStatus.SINGLE]: 'single',
  [MaritalStatus.MARRIED]: 'married',
  [MaritalStatus.DIVORCED]: 'divorced',
  [MaritalStatus.WIDOWED]: 'widowed',
};

function citizenData(c: Citizen): CitizenData {
  return {
    personalId: c.personalId,
    familyName: c.familyName,
    middleName: c.middleName,
    givenName: c.givenName,
    birthDate: c.birthDate,
    sex: SEX[c.sex] ?? 'unspecified',
    nationality: c.nationality,
    ethnicity: c.ethnicity,
    religion: c.religion,
    homeTown: address(c.homeTown),
    birthPlace: address(c.birthPlace),
    permanentResidence: address(c.permanentResidence),
    temporaryResidence: address(c.temporaryResidence),
    maritalStatus: MARITAL[c.maritalStatus] ?? 'unspecified',
    fatherCitizenId: c.fatherCitizenId,
    motherCitizenId: c.motherCitizenId,
    spouseCitizenId: c.spouseCitizenId,
    deathDate: c.deathDate,
    lastVerifiedDate: c.lastVerifiedDate,
  };
}

export function lookupFrom(response: GetCitizenResponse): RegisterLookup {
  if (!response.citizen) throw new DependencyUnavailableError('REGISTRY_ANSWER_INCOMPLETE');
  return {
    kind: 'found',
    citizenId: response.citizenId,
    recordVersion: Number(response.recordVersion),
    citizen: citizenData(response.citizen),
    deceased: response.deceased,
    openQualityFlags: response.openQualityFlags.map((f) => f.kind),
  };
}

/** Why enrollment reads a record, as the register's audit log records it. */
const REGISTER_PURPOSE = 'card-application: pin the card data (Law on Identification 2023, Article 23)';

/** Kinds of failure an operator sees in the stuck list, by gRPC status. */
function failureKind(code: number | undefined): string {
  switch (code) {
    case status.UNAUTHENTICATED:
    case status.PERMISSION_DENIED:
      return 'REGISTRY_REFUSED_CREDENTIALS';
    case status.DEADLINE_EXCEEDED:
      return 'REGISTRY_TIMEOUT';
    case status.UNAVAILABLE:
      return 'REGISTRY_UNAVAILABLE';
    default:
      return 'REGISTRY_ERROR';
  }
}

/**
 * The register over gRPC (`cancuoc.registry.v1.RegistryService/GetCitizen`) as the service
 * `enrollment` (the platform policy grants it `GetCitizen`). Reconnects quickly after the registry comes back: the channel's backoff is
 * capped at a few seconds, so the re-processor's next attempt finds it.
 */
export class RegistryRegister implements RegisterPort {
  private readonly client: GrpcClient<typeof RegistryService>;

  constructor(private readonly options: RegistryClientOptions) {
    this.client = createClient(RegistryService, options.address, {
      defaultTimeoutMs: options.timeoutMs ?? 5_000,
      channelOptions: {
        'grpc.initial_reconnect_backoff_ms': 200,
        'grpc.max_reconnect_backoff_ms': 3_000,
      },
      credentials: options.credentials,
      metadata: async () => {
        let token: string;
        try {
          token = await options.tokens.token('registry');
        } catch (error) {
          // The OpenID provider did not give enrollment a token: the step waits and is retried.
          throw new DependencyUnavailableError('REGISTRY_TOKEN_UNAVAILABLE', error);
        }
        return { authorization: `Bearer ${token}` };
      },
    });
  }

  async lookup(personalId: string): Promise<RegisterLookup> {
    try {
      return lookupFrom(await this.client.getCitizen({ personalId, purpose: REGISTER_PURPOSE }));
    } catch (error) {
      if (error instanceof DependencyUnavailableError) throw error;
      const code = grpcCode(error);
      if (code === status.NOT_FOUND) return { kind: 'not-found' };
      throw new DependencyUnavailableError(failureKind(code), error);
    }
  }

  close(): void {
    closeClient(this.client);
  }
}
