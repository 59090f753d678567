import {
  CARD_PRODUCTION_CARD_TOPIC,
  ENROLLMENT_APPLICATION_TOPIC,
  REGISTRY_CITIZEN_TOPIC,
  type TopicSpec,
} from '@cancuoc/proto';

/**
 * The four services and how they meet, as docs/conventions.md states it: who calls whom over gRPC,
 * which topic each publishes and which it consumes. Every NetworkPolicy, Kafka ACL and environment
 * variable that names a peer is derived from this table, so the conventions are written down once.
 */
export type ServiceName = 'registry' | 'enrollment' | 'card-production' | 'data-sharing';

export interface ServiceSpec {
  readonly name: ServiceName;
  readonly grpcPort: number;
  /** gRPC peers it calls (`<NAME>_<PEER>_ADDRESS`). */
  readonly calls: readonly ServiceName[];
  /** The topic its relay publishes, if any. */
  readonly publishes: TopicSpec | undefined;
  /** Topics its IdempotentConsumers read (and whose `.dlq` they write poison records to). */
  readonly consumes: readonly TopicSpec[];
  /** Whether it publishes the per-agency `partner.<agency>.*` topics. */
  readonly publishesPartnerTopics: boolean;
  /** Who reaches it from outside the namespace, through the edge gateway. */
  readonly externalCallers: string;
  /** Keys of its own, each an environment variable read from a Secret made by the runbook. */
  readonly secrets: readonly ServiceSecret[];
  /** A directory of keys shared by its replicas, on a ReadWriteMany volume (`env` names its path). */
  readonly keyDirectory: KeyDirectory | undefined;
}

export interface KeyDirectory {
  readonly env: string;
  readonly mountPath: string;
  readonly size: string;
}

export interface ServiceSecret {
  readonly env: string;
  readonly secret: string;
  readonly key: string;
}

export const SERVICES: readonly ServiceSpec[] = [
  {
    name: 'registry',
    grpcPort: 50051,
    calls: [],
    publishes: REGISTRY_CITIZEN_TOPIC,
    consumes: [CARD_PRODUCTION_CARD_TOPIC],
    publishesPartnerTopics: false,
    externalCallers: 'registry clerks and platform admins',
    secrets: [],
    keyDirectory: undefined,
  },
  {
    name: 'enrollment',
    grpcPort: 50052,
    calls: ['registry'],
    publishes: ENROLLMENT_APPLICATION_TOPIC,
    consumes: [CARD_PRODUCTION_CARD_TOPIC],
    publishesPartnerTopics: false,
    externalCallers: 'enrollment stations, operators and supervisors',
    // The local key provider's master keys, which wrap every citizen's biometric data key.
    secrets: [{ env: 'ENROLLMENT_MASTER_KEYS', secret: 'enrollment-master-keys', key: 'keys' }],
    keyDirectory: undefined,
  },
  {
    name: 'card-production',
    grpcPort: 50053,
    calls: ['enrollment'],
    publishes: CARD_PRODUCTION_CARD_TOPIC,
    consumes: [ENROLLMENT_APPLICATION_TOPIC],
    publishesPartnerTopics: false,
    externalCallers: 'chip-encoding stations',
    // The vault's key-encryption key; the CSCA certificate and Document Signers live in the key
    // directory, which a rotation writes to and every replica reads (never the database).
    secrets: [{ env: 'CARD_PRODUCTION_DATA_KEY', secret: 'card-production-data-key', key: 'key' }],
    keyDirectory: { env: 'CARD_PRODUCTION_KEY_DIR', mountPath: '/var/lib/cancuoc/keys', size: '64Mi' },
  },
  {
    name: 'data-sharing',
    grpcPort: 50054,
    calls: [],
    publishes: undefined,
    // Enrollment's events for the biometric references agencies may be allowed.
    consumes: [REGISTRY_CITIZEN_TOPIC, CARD_PRODUCTION_CARD_TOPIC, ENROLLMENT_APPLICATION_TOPIC],
    publishesPartnerTopics: true,
    externalCallers: "agencies' systems (the query API)",
    secrets: [],
    keyDirectory: undefined,
  },
];

export function serviceNamed(name: ServiceName): ServiceSpec {
  const spec = SERVICES.find((s) => s.name === name);
  if (!spec) throw new Error(`no service ${name}`);
  return spec;
}

/** `card-production` → `CARD_PRODUCTION`, the environment-variable prefix (conventions). */
export function envPrefix(name: ServiceName): string {
  return name.toUpperCase().replaceAll('-', '_');
}

/** PostgreSQL identifiers avoid `-`, which would need quoting everywhere. */
export function databaseName(name: ServiceName): string {
  return name.replaceAll('-', '_');
}

/**
 * Prefix of a service's Kafka consumer groups: an IdempotentConsumer's `subscriber` (its group)
 * must start with it, e.g. `data-sharing.citizens`, for the service's ACLs to let it consume.
 */
export function consumerGroupPrefix(name: ServiceName): string {
  return `${name}.`;
}
