import type { IEnvVar } from 'kubernetes-models/v1';
import { serviceSubject } from './certificates.js';
import { COLLECTOR, KAFKA_CLUSTER, REDIS, databaseCluster } from './labels.js';
import type { Overlay } from './overlay.js';
import { maxOldSpaceMiB, secretEnv } from './security.js';
import { envPrefix, serviceNamed, type ServiceSpec } from './topology.js';

/** Secrets the platform expects to exist (made by the runbook or by an operator), by name. */
export const SECRETS = {
  /** Redis password, `password` (hex, URL-safe). Made by the runbook. */
  redis: 'redis-auth',
  /** Object-store credentials for backups, `ACCESS_KEY_ID` / `ACCESS_SECRET_KEY`. Made by the runbook. */
  objectStore: 'backup-object-store',
  /** Kafka's cluster CA certificate, `ca.crt`. Made by Strimzi. */
  kafkaCa: `${KAFKA_CLUSTER}-cluster-ca-cert`,
} as const;

/** CloudNativePG's secret for a database's owner; its `uri` key is a postgresql:// URL. */
export function databaseSecret(service: ServiceSpec): string {
  return `${databaseCluster(service.name)}-app`;
}

/**
 * A service's own OAuth client key (`private_key_jwt` at the OpenID provider), `key.pem`: one
 * Secret per service, made by the runbook when it registers the service's client.
 */
export function clientKeySecret(service: ServiceSpec): string {
  return `${service.name}-oauth-client-key`;
}

/** Strimzi's secret for a KafkaUser has the KafkaUser's name; SCRAM users get a `password` key. */
export function kafkaUserName(service: ServiceSpec): string {
  return service.name;
}

export const KAFKA_CA_MOUNT = '/etc/cancuoc/kafka-ca';
/** The service's certificate Secret (`tls.crt`, `tls.key`, `ca.crt`), kept current by cert-manager. */
export const TLS_MOUNT = '/etc/cancuoc/tls';
export const CLIENT_KEY_MOUNT = '/etc/cancuoc/oauth-client';
export const CLIENT_KEY_FILE = 'key.pem';
/**
 * Plaintext `grpc.health.v1` only, for the kubelet's gRPC probes, which cannot present a client
 * certificate to the mutual-TLS port. No NetworkPolicy admits any pod to it.
 */
export const HEALTH_PORT = 8081;
export const KAFKA_TLS_PORT = 9093;
export const KAFKA_AGENCY_PORT = 9094;
export const OTLP_GRPC_PORT = 4317;
export const OTLP_HTTP_PORT = 4318;
export const REDIS_PORT = 6379;
export const POSTGRES_PORT = 5432;

/** The database connection only: all a migration Job needs. */
export function databaseEnv(service: ServiceSpec): IEnvVar[] {
  return [secretEnv('DATABASE_URL', databaseSecret(service), 'uri')];
}

/**
 * The server's environment, per docs/conventions.md: database, Redis, Kafka (SASL/SCRAM over TLS
 * with the cluster CA), its certificate files, the OpenID provider and its own client key, gRPC
 * port and peers, the health port, and the standard OpenTelemetry variables. Secrets are always
 * references; `$(VAR)` is Kubernetes' expansion of an earlier variable.
 */
export function serverEnv(service: ServiceSpec, overlay: Overlay): IEnvVar[] {
  const prefix = envPrefix(service.name);
  return [
    { name: 'NODE_ENV', value: 'production' },
    {
      name: 'NODE_OPTIONS',
      value: `--max-old-space-size=${maxOldSpaceMiB(overlay.services.resources.limits.memory)}`,
    },
    ...databaseEnv(service),
    secretEnv('REDIS_PASSWORD', SECRETS.redis, 'password'),
    { name: 'REDIS_URL', value: `redis://:$(REDIS_PASSWORD)@${REDIS}:${REDIS_PORT}/0` },
    { name: 'KAFKA_BROKERS', value: `${KAFKA_CLUSTER}-kafka-bootstrap:${KAFKA_TLS_PORT}` },
    { name: 'KAFKA_SASL_MECHANISM', value: 'scram-sha-512' },
    { name: 'KAFKA_SASL_USERNAME', value: kafkaUserName(service) },
    secretEnv('KAFKA_SASL_PASSWORD', kafkaUserName(service), 'password'),
    { name: 'KAFKA_TLS_CA_FILE', value: `${KAFKA_CA_MOUNT}/ca.crt` },
    { name: 'CANCUOC_TLS_CERT_FILE', value: `${TLS_MOUNT}/tls.crt` },
    { name: 'CANCUOC_TLS_KEY_FILE', value: `${TLS_MOUNT}/tls.key` },
    { name: 'CANCUOC_TLS_CA_FILE', value: `${TLS_MOUNT}/ca.crt` },
    { name: 'CANCUOC_OIDC_ISSUER', value: overlay.identity.oidcIssuer },
    { name: 'CANCUOC_CLIENT_ID', value: serviceSubject(service) },
    { name: 'CANCUOC_CLIENT_KEY_FILE', value: `${CLIENT_KEY_MOUNT}/${CLIENT_KEY_FILE}` },
    ...service.secrets.map((s) => secretEnv(s.env, s.secret, s.key)),
    ...(service.keyDirectory
      ? [{ name: service.keyDirectory.env, value: service.keyDirectory.mountPath }]
      : []),
    { name: `${prefix}_GRPC_HOST`, value: '0.0.0.0' },
    { name: `${prefix}_GRPC_PORT`, value: String(service.grpcPort) },
    // The kubelet probes the pod's IP; loopback would not do.
    { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    { name: 'CANCUOC_HEALTH_HOST', value: '$(POD_IP)' },
    { name: 'CANCUOC_HEALTH_PORT', value: String(HEALTH_PORT) },
    ...service.calls.map((peer) => ({
      name: `${prefix}_${envPrefix(peer)}_ADDRESS`,
      value: `${peer}:${serviceNamed(peer).grpcPort}`,
    })),
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'OTEL_SERVICE_NAME', value: service.name },
    {
      name: 'OTEL_RESOURCE_ATTRIBUTES',
      value: [
        'service.namespace=cancuoc',
        `service.version=${overlay.version}`,
        `deployment.environment.name=${overlay.name}`,
        'k8s.pod.name=$(POD_NAME)',
      ].join(','),
    },
    { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: `http://${COLLECTOR}:${OTLP_GRPC_PORT}` },
    { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', value: 'grpc' },
  ];
}
