import { deadLetterTopicOf, partnerTopicsOf, topicCatalogue, type TopicSpec } from '@cancuoc/proto';
import {
  STRIMZI_API,
  type Kafka,
  type KafkaAcl,
  type KafkaNodePool,
  type KafkaTopic,
  type KafkaUser,
} from './crds/strimzi.js';
import { KAFKA_AGENCY_PORT, KAFKA_TLS_PORT, kafkaUserName } from './environment.js';
import { KAFKA_CLUSTER, OPERATOR_TOOL_LABELS, PART_OF, selectorLabels } from './labels.js';
import type { Overlay } from './overlay.js';
import { SERVICES, consumerGroupPrefix, type ServiceSpec } from './topology.js';

/** Strimzi 0.49+ (the `v1` API); Kafka 4.1.1 is the newest it supports. */
export const KAFKA_VERSION = '4.1.1';
export const KAFKA_METADATA_VERSION = '4.1-IV1';

const clusterLabels = { 'strimzi.io/cluster': KAFKA_CLUSTER, 'app.kubernetes.io/part-of': PART_OF };

/** The user for the operators' tools (the `cancuoc` CLI's redrive): not a service's identity. */
export const OPERATOR_KAFKA_USER = 'cancuoc-operator';
/** The consumer groups of redrives (libs/messaging `redriveGroup`). */
const REDRIVE_GROUP_PREFIX = 'cancuoc.redrive.';

export function agencyKafkaUser(agency: string): string {
  return `agency-${agency}`;
}

/**
 * The topics of every agency in the overlay, as data sharing publishes them: the compacted latest
 * state per citizen and the change stream beside it.
 */
export function partnerTopics(overlay: Overlay): TopicSpec[] {
  return overlay.agencies.flatMap((agency) => [...partnerTopicsOf(agency)]);
}

function replication(topic: TopicSpec, overlay: Overlay): { replicas: number; minIsr: number } {
  const replicas = Math.min(topic.replicationFactor, overlay.kafka.maxReplication);
  return { replicas, minIsr: Math.min(topic.minInSyncReplicas, Math.max(1, replicas - 1)) };
}

export function kafkaCluster(overlay: Overlay): Kafka {
  const replicas = overlay.kafka.maxReplication;
  const minIsr = Math.max(1, replicas - 1);
  const operatorResources = {
    requests: { cpu: '50m', memory: '256Mi' },
    limits: { cpu: '500m', memory: '512Mi' },
  };
  return {
    apiVersion: STRIMZI_API,
    kind: 'Kafka',
    metadata: { name: KAFKA_CLUSTER, labels: { 'app.kubernetes.io/part-of': PART_OF } },
    spec: {
      kafka: {
        version: KAFKA_VERSION,
        metadataVersion: KAFKA_METADATA_VERSION,
        listeners: [
          {
            // The services (and operators' tool pods): SCRAM-SHA-512 over TLS, from those pods only.
            name: 'tls',
            port: KAFKA_TLS_PORT,
            type: 'internal',
            tls: true,
            authentication: { type: 'scram-sha-512' },
            networkPolicyPeers: [
              ...SERVICES.map((s) => ({ podSelector: { matchLabels: selectorLabels(s.name, 'server') } })),
              { podSelector: { matchLabels: OPERATOR_TOOL_LABELS } },
            ],
          },
          {
            // Agencies: mutual TLS with certificates from the clients CA, from their network only.
            name: 'agencies',
            port: KAFKA_AGENCY_PORT,
            type: overlay.kafka.agencyListener,
            tls: true,
            authentication: { type: 'tls' },
            networkPolicyPeers: overlay.kafka.agencyClientCidrs.map((cidr) => ({ ipBlock: { cidr } })),
          },
        ],
        authorization: { type: 'simple' },
        config: {
          // Every topic is a KafkaTopic from the catalogue; a typo must not create a new one.
          'auto.create.topics.enable': false,
          'default.replication.factor': replicas,
          'min.insync.replicas': minIsr,
          'offsets.topic.replication.factor': replicas,
          'transaction.state.log.replication.factor': replicas,
          'transaction.state.log.min.isr': minIsr,
          'unclean.leader.election.enable': false,
        },
      },
      entityOperator: {
        topicOperator: { resources: operatorResources },
        userOperator: { resources: operatorResources },
      },
    },
  };
}

export function nodePools(overlay: Overlay): KafkaNodePool[] {
  return overlay.kafka.pools.map((pool) => ({
    apiVersion: STRIMZI_API,
    kind: 'KafkaNodePool',
    metadata: { name: pool.name, labels: clusterLabels },
    spec: {
      replicas: pool.replicas,
      roles: [...pool.roles],
      storage: {
        type: 'jbod',
        volumes: [
          {
            id: 0,
            type: 'persistent-claim',
            size: pool.storage,
            deleteClaim: false,
            kraftMetadata: 'shared',
          },
        ],
      },
      resources: pool.resources,
    },
  }));
}

/** One KafkaTopic per catalogue topic (published and dead-letter) and per agency partner topic. */
export function kafkaTopics(overlay: Overlay): KafkaTopic[] {
  return [...topicCatalogue(), ...partnerTopics(overlay)].map((topic) => {
    const { replicas, minIsr } = replication(topic, overlay);
    return {
      apiVersion: STRIMZI_API,
      kind: 'KafkaTopic',
      metadata: { name: topic.name, labels: { ...clusterLabels, 'cancuoc.io/exposure': topic.exposure } },
      spec: {
        topicName: topic.name,
        partitions: topic.partitions,
        replicas,
        config: {
          'cleanup.policy': topic.cleanupPolicy,
          'retention.ms': topic.retentionMs,
          'min.insync.replicas': minIsr,
        },
      },
    };
  });
}

const literal = (name: string) => ({ type: 'topic' as const, name, patternType: 'literal' as const });
const allow = (resource: KafkaAcl['resource'], operations: KafkaAcl['operations']): KafkaAcl => ({
  type: 'allow',
  resource,
  operations,
});

/**
 * Least privilege per service: write its own topic, read what it consumes, write the dead-letter
 * topic of what it consumes (poison records), read with its own consumer groups only.
 */
export function serviceAcls(service: ServiceSpec, overlay: Overlay): KafkaAcl[] {
  const acls: KafkaAcl[] = [];
  if (service.publishes) acls.push(allow(literal(service.publishes.name), ['Write', 'Describe']));
  if (service.publishesPartnerTopics) {
    for (const agency of overlay.agencies) {
      acls.push(
        allow({ type: 'topic', name: `partner.${agency}.`, patternType: 'prefix' }, ['Write', 'Describe']),
      );
    }
  }
  for (const topic of service.consumes) {
    acls.push(allow(literal(topic.name), ['Read', 'Describe']));
    acls.push(allow(literal(deadLetterTopicOf(topic).name), ['Write', 'Describe']));
  }
  if (service.consumes.length > 0) {
    acls.push(
      allow({ type: 'group', name: consumerGroupPrefix(service.name), patternType: 'prefix' }, ['Read']),
      // Where redrives have got to (their committed offsets), for the dead-letter depth a service
      // reports (its metric, OperationsService/ListDeadLetters); reading or joining those groups
      // stays the operator's.
      allow({ type: 'group', name: REDRIVE_GROUP_PREFIX, patternType: 'prefix' }, ['Describe']),
    );
  }
  return acls;
}

function user(name: string, authentication: 'scram-sha-512' | 'tls', acls: KafkaAcl[]): KafkaUser {
  return {
    apiVersion: STRIMZI_API,
    kind: 'KafkaUser',
    metadata: { name, labels: clusterLabels },
    spec: { authentication: { type: authentication }, authorization: { type: 'simple', acls } },
  };
}

/**
 * Redrive (libs/messaging `redriveDeadLetters`) reads `<topic>.dlq` with a `cancuoc.redrive.*`
 * group and writes the records back to the topic. Only an operator does that, with this user.
 */
function operatorAcls(): KafkaAcl[] {
  const consumed = [...new Map(SERVICES.flatMap((s) => s.consumes).map((t) => [t.name, t])).values()];
  return [
    ...consumed.flatMap((topic) => [
      allow(literal(deadLetterTopicOf(topic).name), ['Read', 'Describe']),
      allow(literal(topic.name), ['Write', 'Describe']),
    ]),
    allow({ type: 'group', name: REDRIVE_GROUP_PREFIX, patternType: 'prefix' }, ['Read']),
  ];
}

/** An agency reads its own `partner.<agency>.` topics, with groups under the same prefix. */
export function agencyAcls(agency: string): KafkaAcl[] {
  const prefix = `partner.${agency}.`;
  return [
    allow({ type: 'topic', name: prefix, patternType: 'prefix' }, ['Read', 'Describe']),
    allow({ type: 'group', name: prefix, patternType: 'prefix' }, ['Read']),
  ];
}

export function kafkaUsers(overlay: Overlay): KafkaUser[] {
  return [
    ...SERVICES.map((s) => user(kafkaUserName(s), 'scram-sha-512', serviceAcls(s, overlay))),
    user(OPERATOR_KAFKA_USER, 'scram-sha-512', operatorAcls()),
    ...overlay.agencies.map((agency) => user(agencyKafkaUser(agency), 'tls', agencyAcls(agency))),
  ];
}
