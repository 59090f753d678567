import { BarmanObjectStoreConfiguration } from '@kubernetes-models/cloudnative-pg/github.com/cloudnative-pg/barman-cloud/pkg/api/BarmanObjectStoreConfiguration';
import { Cluster, ScheduledBackup } from '@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1';
import { Ajv, type ValidateFunction } from 'ajv';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Service, ServiceAccount } from 'kubernetes-models/v1';
import { BARMAN_API, objectStoreSchema } from './crds/barman.js';
import { CERT_MANAGER_API, certificateSchema, issuerSchema } from './crds/cert-manager.js';
import { MONITORING_API, prometheusRuleSchema } from './crds/prometheus-operator.js';
import {
  STRIMZI_API,
  kafkaNodePoolSchema,
  kafkaSchema,
  kafkaTopicSchema,
  kafkaUserSchema,
} from './crds/strimzi.js';
import type { KubeObject } from './manifests.js';

/**
 * Schema validation of any object the render emits: Kubernetes and CloudNativePG kinds by their
 * models (generated from the upstream OpenAPI schemas), Strimzi, the Barman Cloud ObjectStore and
 * cert-manager by the closed schemas in crds/. A kind with no schema is itself an error, so nothing
 * goes unchecked.
 */
interface Model {
  validate(): void;
}
type ModelClass = new (data: never) => Model;

const MODELS: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'postgresql.cnpg.io/v1/Cluster': Cluster,
  'postgresql.cnpg.io/v1/ScheduledBackup': ScheduledBackup,
};

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const SCHEMAS: Record<string, ValidateFunction> = {
  [`${STRIMZI_API}/Kafka`]: ajv.compile(kafkaSchema),
  [`${STRIMZI_API}/KafkaNodePool`]: ajv.compile(kafkaNodePoolSchema),
  [`${STRIMZI_API}/KafkaTopic`]: ajv.compile(kafkaTopicSchema),
  [`${STRIMZI_API}/KafkaUser`]: ajv.compile(kafkaUserSchema),
  [`${BARMAN_API}/ObjectStore`]: ajv.compile(objectStoreSchema),
  [`${CERT_MANAGER_API}/Issuer`]: ajv.compile(issuerSchema),
  [`${CERT_MANAGER_API}/Certificate`]: ajv.compile(certificateSchema),
  [`${MONITORING_API}/PrometheusRule`]: ajv.compile(prometheusRuleSchema),
};

function modelErrors(Model: ModelClass, object: unknown): string[] {
  try {
    new Model(object as never).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

/** Every schema violation of one object, as readable lines; empty when it is valid. */
export function schemaErrors(object: KubeObject): string[] {
  const type = `${object.apiVersion}/${object.kind}`;
  const where = `${object.kind} ${object.metadata?.name ?? '(no name)'}`;
  const Model = MODELS[type];
  if (Model) return modelErrors(Model, object).map((e) => `${where}: ${e}`);
  const schema = SCHEMAS[type];
  if (!schema) return [`${where}: no schema for ${type}`];
  const errors = schema(object)
    ? []
    : (schema.errors ?? []).map((e) => `${where}: ${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
  if (type === `${BARMAN_API}/ObjectStore`) {
    const spec = object.spec as { configuration?: unknown } | undefined;
    errors.push(
      ...modelErrors(BarmanObjectStoreConfiguration, spec?.configuration).map((e) => `${where}: ${e}`),
    );
  }
  return errors;
}
