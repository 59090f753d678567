import type { Overlay } from '../overlay.js';
import { RELEASE } from '../paths.js';

const small = { requests: { cpu: '50m', memory: '192Mi' }, limits: { cpu: '500m', memory: '384Mi' } };

/**
 * A developer cluster (kind, minikube, k3d): one replica of everything, one dual-role Kafka node,
 * one PostgreSQL instance per service, backups to an in-cluster MinIO, traces printed by the collector.
 */
export const dev: Overlay = {
  name: 'dev',
  namespace: 'cancuoc-dev',
  // kind's conventional local registry.
  imageRegistry: 'localhost:5001/cancuoc',
  version: RELEASE,
  services: { replicas: 1, maxReplicas: 2, resources: small },
  sharedStorageClass: 'standard',
  kafka: {
    pools: [
      {
        name: 'dual-role',
        roles: ['controller', 'broker'],
        replicas: 1,
        storage: '5Gi',
        resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } },
      },
    ],
    maxReplication: 1,
    agencyListener: 'cluster-ip',
    agencyClientCidrs: ['10.0.0.0/8'],
  },
  identity: {
    // A Keycloak in the developer cluster.
    oidcIssuer: 'http://keycloak.identity.svc:8080/realms/cancuoc',
    providerEgress: { namespace: 'identity', ports: [8080] },
    platformCa: 'bootstrap',
    stations: ['enc-dev-01'],
  },
  agencies: ['bhxh'],
  postgres: {
    instances: 1,
    storage: '2Gi',
    walStorage: '1Gi',
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    backupSchedule: '0 0 3 * * *',
    retention: '7d',
    objectStore: {
      destinationPath: 's3://cancuoc-backups/dev',
      endpointURL: 'http://minio.minio.svc:9000',
      serverSideEncryption: false,
      egress: { namespace: 'minio', ports: [9000] },
    },
  },
  redis: { resources: small, maxMemory: '256mb' },
  collector: { replicas: 1, resources: small, otlpEndpoint: 'debug', egress: undefined },
  monitoringNamespace: 'monitoring',
  edgeNamespace: 'cancuoc-edge',
  operatorNamespaces: { strimzi: 'strimzi', cnpg: 'cnpg-system' },
  // kind's control plane sits on the docker network; other dev clusters: set the API endpoint's CIDR.
  apiServer: { cidrs: ['172.18.0.0/16'], ports: [443, 6443] },
};
