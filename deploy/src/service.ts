import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  PersistentVolumeClaim,
  Service,
  ServiceAccount,
  type IProbe,
  type IVolume,
  type IVolumeMount,
} from 'kubernetes-models/v1';
import { tlsSecret } from './certificates.js';
import {
  CLIENT_KEY_FILE,
  CLIENT_KEY_MOUNT,
  HEALTH_PORT,
  KAFKA_CA_MOUNT,
  SECRETS,
  TLS_MOUNT,
  clientKeySecret,
  databaseEnv,
  serverEnv,
} from './environment.js';
import { labels, migrationJobName, selectorLabels } from './labels.js';
import type { Overlay } from './overlay.js';
import { CONTAINER_SECURITY, NODE_UID, podSecurityContext } from './security.js';
import type { ServiceSpec } from './topology.js';

export function imageOf(service: ServiceSpec, overlay: Overlay): string {
  return `${overlay.imageRegistry}/${service.name}:${overlay.version}`;
}

/**
 * Native gRPC probes on grpc.health.v1 (the overall status, `service: ""`), at the plaintext health
 * port: the kubelet cannot present the client certificate the gRPC port demands.
 */
function grpcProbe(port: number, periodSeconds: number, failureThreshold: number): IProbe {
  return { grpc: { port, service: '' }, periodSeconds, failureThreshold, timeoutSeconds: 2 };
}

function serviceAccount(name: string, component: 'server' | 'migration', version: string): ServiceAccount {
  return new ServiceAccount({
    metadata: { name, labels: labels(name, component, version) },
    // No workload here talks to the Kubernetes API: no token in the pod.
    automountServiceAccountToken: false,
  });
}

/** Owner-and-group read only: the pod's fsGroup is the group, so the service (not root) reads them. */
const READ_ONLY_FILES = 0o440;

/**
 * The service's own credentials, read-only: its certificate Secret (mounted whole, never with
 * `subPath`, so cert-manager's renewals reach the running pod) and its OAuth client key.
 */
function credentialVolumes(service: ServiceSpec): { volumes: IVolume[]; mounts: IVolumeMount[] } {
  return {
    volumes: [
      {
        name: 'tls',
        secret: {
          secretName: tlsSecret(service),
          defaultMode: READ_ONLY_FILES,
          items: ['tls.crt', 'tls.key', 'ca.crt'].map((key) => ({ key, path: key })),
        },
      },
      {
        name: 'oauth-client-key',
        secret: {
          secretName: clientKeySecret(service),
          defaultMode: READ_ONLY_FILES,
          items: [{ key: CLIENT_KEY_FILE, path: CLIENT_KEY_FILE }],
        },
      },
    ],
    mounts: [
      { name: 'tls', mountPath: TLS_MOUNT, readOnly: true },
      { name: 'oauth-client-key', mountPath: CLIENT_KEY_MOUNT, readOnly: true },
    ],
  };
}

const keyClaim = (service: ServiceSpec) => `${service.name}-keys`;

/** The key directory's volume and mount, for a service that has one. */
function keyVolume(service: ServiceSpec): { volumes: IVolume[]; mounts: IVolumeMount[] } {
  if (!service.keyDirectory) return { volumes: [], mounts: [] };
  return {
    volumes: [{ name: 'keys', persistentVolumeClaim: { claimName: keyClaim(service) } }],
    mounts: [{ name: 'keys', mountPath: service.keyDirectory.mountPath }],
  };
}

/** The claim behind a service's key directory: shared by its replicas, kept across releases. */
function keyDirectoryClaim(service: ServiceSpec, overlay: Overlay): PersistentVolumeClaim[] {
  if (!service.keyDirectory) return [];
  return [
    new PersistentVolumeClaim({
      metadata: { name: keyClaim(service), labels: labels(service.name, 'server', overlay.version) },
      spec: {
        accessModes: ['ReadWriteMany'],
        storageClassName: overlay.sharedStorageClass,
        resources: { requests: { storage: service.keyDirectory.size } },
      },
    }),
  ];
}

/** A service's Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget, ServiceAccount. */
export function serviceWorkload(service: ServiceSpec, overlay: Overlay) {
  const name = service.name;
  const podLabels = labels(name, 'server', overlay.version);
  const selector = selectorLabels(name, 'server');
  const { replicas, maxReplicas, resources } = overlay.services;
  const spread = replicas > 1;
  return [
    serviceAccount(name, 'server', overlay.version),
    ...keyDirectoryClaim(service, overlay),
    new Deployment({
      metadata: { name, labels: podLabels },
      spec: {
        // No `replicas`: the HorizontalPodAutoscaler owns the count, and a release's `kubectl apply`
        // must not reset a scaled-out service to its minimum in the middle of a peak.
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels: podLabels },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            securityContext: podSecurityContext(NODE_UID, NODE_UID),
            // The gRPC server drains for up to 10 s, then relays and consumers finish their batch.
            terminationGracePeriodSeconds: 45,
            ...(spread
              ? {
                  topologySpreadConstraints: [
                    {
                      maxSkew: 1,
                      topologyKey: 'topology.kubernetes.io/zone',
                      whenUnsatisfiable: 'ScheduleAnyway',
                      labelSelector: { matchLabels: selector },
                    },
                    {
                      maxSkew: 1,
                      topologyKey: 'kubernetes.io/hostname',
                      whenUnsatisfiable: 'DoNotSchedule',
                      labelSelector: { matchLabels: selector },
                    },
                  ],
                }
              : {}),
            containers: [
              {
                name,
                image: imageOf(service, overlay),
                imagePullPolicy: 'IfNotPresent',
                ports: [
                  { name: 'grpc', containerPort: service.grpcPort, protocol: 'TCP' },
                  { name: 'health', containerPort: HEALTH_PORT, protocol: 'TCP' },
                ],
                env: serverEnv(service, overlay),
                resources,
                securityContext: CONTAINER_SECURITY,
                startupProbe: grpcProbe(HEALTH_PORT, 2, 60),
                readinessProbe: grpcProbe(HEALTH_PORT, 5, 2),
                livenessProbe: grpcProbe(HEALTH_PORT, 10, 3),
                // Endpoints are removed asynchronously; keep serving while load balancers catch up.
                lifecycle: { preStop: { sleep: { seconds: 5 } } },
                volumeMounts: [
                  { name: 'kafka-ca', mountPath: KAFKA_CA_MOUNT, readOnly: true },
                  ...credentialVolumes(service).mounts,
                  ...keyVolume(service).mounts,
                ],
              },
            ],
            // Read-only: the Kafka cluster CA and the service's own credentials. Nothing else in
            // the image writes to disk in server mode but a service's key directory.
            volumes: [
              {
                name: 'kafka-ca',
                secret: { secretName: SECRETS.kafkaCa, items: [{ key: 'ca.crt', path: 'ca.crt' }] },
              },
              ...credentialVolumes(service).volumes,
              ...keyVolume(service).volumes,
            ],
          },
        },
      },
    }),
    new Service({
      metadata: { name, labels: podLabels },
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [
          { name: 'grpc', port: service.grpcPort, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'grpc' },
        ],
      },
    }),
    new HorizontalPodAutoscaler({
      metadata: { name, labels: podLabels },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: replicas,
        maxReplicas,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
          },
        ],
        behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
      },
    }),
    new PodDisruptionBudget({
      metadata: { name, labels: podLabels },
      spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
    }),
  ];
}

/**
 * The release's migration: `node dist/main.js migrate` (the image's entrypoint plus `migrate`)
 * applies pending migrations and exits. Named after the release, so applying a new release makes
 * a new Job, and the runbook waits for it to complete before rolling the Deployment out.
 */
export function migrationJob(service: ServiceSpec, overlay: Overlay) {
  const name = migrationJobName(service.name, overlay.version);
  const account = `${service.name}-migrate`;
  const podLabels = labels(`${service.name}-migrate`, 'migration', overlay.version);
  return [
    serviceAccount(account, 'migration', overlay.version),
    new Job({
      metadata: { name, labels: podLabels },
      spec: {
        backoffLimit: 2,
        activeDeadlineSeconds: 900,
        ttlSecondsAfterFinished: 7 * 24 * 3600,
        template: {
          metadata: { labels: podLabels },
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: account,
            automountServiceAccountToken: false,
            securityContext: podSecurityContext(NODE_UID, NODE_UID),
            containers: [
              {
                name: 'migrate',
                image: imageOf(service, overlay),
                imagePullPolicy: 'IfNotPresent',
                args: ['migrate'],
                env: [{ name: 'NODE_ENV', value: 'production' }, ...databaseEnv(service)],
                resources: overlay.services.resources,
                securityContext: CONTAINER_SECURITY,
              },
            ],
          },
        },
      },
    }),
  ];
}
