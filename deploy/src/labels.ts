import type { ServiceName } from './topology.js';

export const PART_OF = 'cancuoc';
export const KAFKA_CLUSTER = 'cancuoc';
export const COLLECTOR = 'otel-collector';
export const REDIS = 'redis';

export type Component = 'server' | 'migration' | 'cache' | 'telemetry' | 'operator-tool' | 'identity';

/**
 * Pods an operator starts by hand for the runbook's Kafka tasks (inspecting or redriving a DLQ as
 * the `cancuoc-operator` KafkaUser) carry these labels; their policy lets them reach the brokers.
 */
export const OPERATOR_TOOL_LABELS = {
  'app.kubernetes.io/component': 'operator-tool',
  'app.kubernetes.io/part-of': PART_OF,
};

/** Selector labels of a workload's pods: stable across releases (Deployment selectors are immutable). */
export function selectorLabels(name: string, component: Component): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': component };
}

export function labels(name: string, component: Component, version?: string): Record<string, string> {
  return {
    ...selectorLabels(name, component),
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': 'cancuoc-deploy',
    ...(version ? { 'app.kubernetes.io/version': version } : {}),
  };
}

export function databaseCluster(service: ServiceName): string {
  return `${service}-db`;
}

/** Pod labels CloudNativePG puts on the instances of a Cluster (and its bootstrap Job pods). */
export function databasePodLabels(service: ServiceName): Record<string, string> {
  return { 'cnpg.io/cluster': databaseCluster(service) };
}

/** Pod labels Strimzi puts on every pod of a Kafka cluster (nodes, entity operator). */
export const KAFKA_POD_LABELS = { 'strimzi.io/cluster': KAFKA_CLUSTER, 'strimzi.io/kind': 'Kafka' };
/** Strimzi's labels on the Kafka nodes (brokers and controllers) of the cluster. */
export const KAFKA_NODE_LABELS = { ...KAFKA_POD_LABELS, 'strimzi.io/name': `${KAFKA_CLUSTER}-kafka` };
export const ENTITY_OPERATOR_LABELS = {
  ...KAFKA_POD_LABELS,
  'strimzi.io/name': `${KAFKA_CLUSTER}-entity-operator`,
};

/** The Job name carries the release, so each release's migration is a new, immutable Job. */
export function migrationJobName(service: ServiceName, version: string): string {
  return `${service}-migrate-${version.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
}
