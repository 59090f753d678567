import type { DescMessage } from '@bufbuild/protobuf';
import { CardApplicationChangedSchema } from './gen/cancuoc/events/v1/application_pb.js';
import { CardChangedSchema } from './gen/cancuoc/events/v1/card_pb.js';
import { CitizenRecordChangedSchema } from './gen/cancuoc/events/v1/citizen_pb.js';
import { PartnerCitizenChangedSchema, PartnerCitizenSchema } from './gen/cancuoc/partner/v1/citizen_pb.js';

/**
 * The topic catalogue: every Kafka topic Cancuoc owns, described once. The test broker, the
 * in-process transport and the Kubernetes KafkaTopic resources are all made from it.
 */
export interface TopicSpec {
  /** `<exposure>.<domain>.<name>.v<N>` (architecture decision 5). */
  readonly name: string;
  /** `internal` topics are read by Cancuoc services only; `partner` topics by one agency each. */
  readonly exposure: 'internal' | 'partner';
  /** The owning domain (service) or, for partner topics, the agency. */
  readonly domain: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly minInSyncReplicas: number;
  /** `delete` for event streams, `compact` for latest-state-per-key topics. */
  readonly cleanupPolicy: 'delete' | 'compact';
  /** How long records are kept; `-1` keeps them forever (compacted topics). */
  readonly retentionMs: number;
  /** The Protobuf messages its records carry; `ce_type` names which one. Empty for dead letters. */
  readonly payloadTypes: readonly DescMessage[];
  readonly description: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const TOPIC_NAME = /^(internal|partner)\.[a-z0-9-]+\.[a-z0-9-]+\.v[1-9][0-9]*$/;

/** Suffix of the dead-letter topic of each topic that has consumers. */
export const DEAD_LETTER_SUFFIX = '.dlq';

function topic(spec: Omit<TopicSpec, 'exposure' | 'domain'>): TopicSpec {
  const match = TOPIC_NAME.exec(spec.name);
  if (!match) throw new Error(`topic name ${spec.name} does not follow <exposure>.<domain>.<name>.v<N>`);
  const [exposure, domain] = spec.name.split('.') as ['internal' | 'partner', string];
  return { ...spec, exposure, domain };
}

/** The dead-letter topic of `of`: same partitions, kept long enough for an operator to redrive. */
export function deadLetterTopicOf(of: TopicSpec): TopicSpec {
  return {
    ...of,
    name: `${of.name}${DEAD_LETTER_SUFFIX}`,
    cleanupPolicy: 'delete',
    retentionMs: 30 * DAY_MS,
    payloadTypes: [],
    description: `Records of ${of.name} that a consumer could not process, with the error in headers.`,
  };
}

export const REGISTRY_CITIZEN_TOPIC = topic({
  name: 'internal.registry.citizen.v1',
  partitions: 12,
  replicationFactor: 3,
  minInSyncReplicas: 2,
  cleanupPolicy: 'delete',
  retentionMs: 7 * DAY_MS,
  payloadTypes: [CitizenRecordChangedSchema],
  description: 'Every change to a citizen record in the register, keyed by citizen id.',
});

export const ENROLLMENT_APPLICATION_TOPIC = topic({
  name: 'internal.enrollment.application.v1',
  partitions: 12,
  replicationFactor: 3,
  minInSyncReplicas: 2,
  cleanupPolicy: 'delete',
  retentionMs: 7 * DAY_MS,
  payloadTypes: [CardApplicationChangedSchema],
  description: 'Every change to a card application, keyed by application id; biometrics by reference only.',
});

export const CARD_PRODUCTION_CARD_TOPIC = topic({
  name: 'internal.cardproduction.card.v1',
  partitions: 12,
  replicationFactor: 3,
  minInSyncReplicas: 2,
  cleanupPolicy: 'delete',
  retentionMs: 7 * DAY_MS,
  payloadTypes: [CardChangedSchema],
  description: 'Every change to a card (queued, encoded, shipped, delivered, revoked, …), keyed by card id.',
});

/** Topics published by Cancuoc services, without their dead-letter topics. */
export const TOPICS: readonly TopicSpec[] = [
  REGISTRY_CITIZEN_TOPIC,
  ENROLLMENT_APPLICATION_TOPIC,
  CARD_PRODUCTION_CARD_TOPIC,
];

/** Every topic to create: the published ones and a dead-letter topic for each. */
export function topicCatalogue(): readonly TopicSpec[] {
  return TOPICS.flatMap((t) => [t, deadLetterTopicOf(t)]);
}

/**
 * The compacted topic an agency reads its allowed view of each citizen from. One per agency, so
 * Kafka ACLs can grant it by prefix `partner.<agency>.`.
 */
export function partnerCitizenTopic(agency: string, payloadTypes: readonly DescMessage[]): TopicSpec {
  return topic({
    name: `partner.${agency}.citizen.v1`,
    partitions: 6,
    replicationFactor: 3,
    minInSyncReplicas: 2,
    cleanupPolicy: 'compact',
    retentionMs: -1,
    payloadTypes,
    description: `The latest state of each citizen in the scope of agency ${agency}, allowed fields only.`,
  });
}

/**
 * The change stream beside an agency's compacted topic: one record per change the agency can see
 * (entered its scope, updated, left it), kept for 30 days, so an agency can react to changes as
 * well as read the latest state.
 */
export function partnerCitizenChangesTopic(agency: string, payloadTypes: readonly DescMessage[]): TopicSpec {
  return topic({
    name: `partner.${agency}.citizen-changes.v1`,
    partitions: 6,
    replicationFactor: 3,
    minInSyncReplicas: 2,
    cleanupPolicy: 'delete',
    retentionMs: 30 * DAY_MS,
    payloadTypes,
    description: `Each change to a citizen in the scope of agency ${agency} that the agency can see.`,
  });
}

/**
 * Both topics of an agency, with the payloads data sharing publishes on them
 * (`cancuoc.partner.v1.PartnerCitizen`, `cancuoc.partner.v1.PartnerCitizenChanged`): what the deploy
 * provisions (a KafkaTopic each) when an agency is onboarded, and what a test broker pre-creates.
 */
export function partnerTopicsOf(agency: string): readonly [citizen: TopicSpec, changes: TopicSpec] {
  return [
    partnerCitizenTopic(agency, [PartnerCitizenSchema]),
    partnerCitizenChangesTopic(agency, [PartnerCitizenChangedSchema]),
  ];
}

/** Every payload message a topic in `topics` may carry, by full Protobuf name (the `ce_type`). */
export function payloadRegistry(topics: readonly TopicSpec[]): ReadonlyMap<string, DescMessage> {
  const registry = new Map<string, DescMessage>();
  for (const t of topics) for (const type of t.payloadTypes) registry.set(type.typeName, type);
  return registry;
}
