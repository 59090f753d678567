import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Service, ServiceAccount, type IProbe } from 'kubernetes-models/v1';
import { KAFKA_CA_MOUNT, SECRETS, databaseEnv, serverEnv } from './environment.js';
import { labels, migrationJobName, selectorLabels } from './labels.js';
import type { Overlay } from './overlay.js';
import { CONTAINER_SECURITY, NODE_UID, podSecurityContext } from './security.js';
import type { ServiceSpec } from './topology.js';

export function imageOf(service: ServiceSpec, overlay: Overlay): string {
  return `${overlay.imageRegistry}/${service.name}:${overlay.version}`;
}

/** Native gRPC probes on grpc.health.v1 (the overall status, `service: ""`). */
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

/** A service's Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget, ServiceAccount. */
export function serviceWorkload(service: ServiceSpec, overlay: Overlay) {
  const name = service.name;
  const podLabels = labels(name, 'server', overlay.version);
  const selector = selectorLabels(name, 'server');
  const { replicas, maxReplicas, resources } = overlay.services;
  const spread = replicas > 1;
  return [
    serviceAccount(name, 'server', overlay.version),
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
                ports: [{ name: 'grpc', containerPort: service.grpcPort, protocol: 'TCP' }],
                env: serverEnv(service, overlay),
                resources,
                securityContext: CONTAINER_SECURITY,
                startupProbe: grpcProbe(service.grpcPort, 2, 60),
                readinessProbe: grpcProbe(service.grpcPort, 5, 2),
                livenessProbe: grpcProbe(service.grpcPort, 10, 3),
                // Endpoints are removed asynchronously; keep serving while load balancers catch up.
                lifecycle: { preStop: { sleep: { seconds: 5 } } },
                volumeMounts: [{ name: 'kafka-ca', mountPath: KAFKA_CA_MOUNT, readOnly: true }],
              },
            ],
            // Read-only: the cluster CA. Nothing in the image writes to disk in server mode.
            volumes: [
              {
                name: 'kafka-ca',
                secret: { secretName: SECRETS.kafkaCa, items: [{ key: 'ca.crt', path: 'ca.crt' }] },
              },
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
