import { KAFKA_CLUSTER, KAFKA_NODE_LABELS, ENTITY_OPERATOR_LABELS, databasePodLabels } from './labels.js';
import type { KubeObject } from './manifests.js';
import type { ServiceName } from './topology.js';

/** A pod template as it appears in a workload, with where it came from. */
export interface PodTemplate {
  readonly owner: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly spec: PodSpec;
}

export interface Container {
  name: string;
  image?: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  readinessProbe?: Record<string, unknown>;
  livenessProbe?: Record<string, unknown>;
  startupProbe?: Record<string, unknown>;
  volumeMounts?: { name: string; readOnly?: boolean }[];
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type?: string };
}

export interface PodSpec {
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContext;
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; emptyDir?: { sizeLimit?: string }; hostPath?: unknown; [k: string]: unknown }[];
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

/** The pod templates of every workload among `objects` (Deployment, Job, …, CronJob). */
export function podTemplates(objects: readonly KubeObject[]): PodTemplate[] {
  const templates: PodTemplate[] = [];
  for (const o of objects) {
    const spec = o.spec as Record<string, unknown> | undefined;
    let template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec } | undefined;
    if (WORKLOADS.has(o.kind)) template = spec?.template as typeof template;
    if (o.kind === 'CronJob') {
      template = (spec?.jobTemplate as { spec?: { template?: typeof template } } | undefined)?.spec?.template;
    }
    if (o.kind === 'Pod')
      template = { metadata: o.metadata as { labels?: Record<string, string> }, spec: o.spec as PodSpec };
    if (template) {
      templates.push({
        owner: `${o.kind} ${o.metadata.name}`,
        namespace: o.metadata.namespace ?? '',
        labels: template.metadata?.labels ?? {},
        spec: template.spec,
      });
    }
  }
  return templates;
}

/**
 * Pods that operators will create from custom resources, with the labels they document: Strimzi
 * labels every node `strimzi.io/cluster`, `strimzi.io/kind`, `strimzi.io/name` and its pool;
 * CloudNativePG labels every instance (and bootstrap Job pod) `cnpg.io/cluster`.
 */
export interface OperatorPods {
  readonly owner: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
}

export function operatorPods(objects: readonly KubeObject[]): OperatorPods[] {
  const pods: OperatorPods[] = [];
  for (const o of objects) {
    const namespace = o.metadata.namespace ?? '';
    if (o.kind === 'Kafka' && o.metadata.name === KAFKA_CLUSTER) {
      pods.push({ owner: 'Kafka entity operator', namespace, labels: ENTITY_OPERATOR_LABELS });
    }
    if (o.kind === 'KafkaNodePool') {
      pods.push({
        owner: `KafkaNodePool ${o.metadata.name}`,
        namespace,
        labels: { ...KAFKA_NODE_LABELS, 'strimzi.io/pool-name': o.metadata.name },
      });
    }
    if (o.kind === 'Cluster' && o.apiVersion.startsWith('postgresql.cnpg.io/')) {
      const service = o.metadata.name.replace(/-db$/, '') as ServiceName;
      pods.push({
        owner: `Cluster ${o.metadata.name}`,
        namespace,
        labels: { ...databasePodLabels(service), 'cnpg.io/podRole': 'instance' },
      });
    }
  }
  return pods;
}
