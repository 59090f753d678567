import type { Overlay } from '../overlay.js';
import { RELEASE } from '../paths.js';

/**
 * Production: three replicas per service spread over zones, separate KRaft controller and broker
 * pools, replication factor 3 with min ISR 2 as the topic catalogue asks, three PostgreSQL
 * instances per service with hourly base backups and continuous WAL archiving, traces and logs
 * shipped over OTLP. The addresses outside the cluster are this site's; change them per site.
 */
export const prod: Overlay = {
  name: 'prod',
  namespace: 'cancuoc',
  imageRegistry: 'registry.cancuoc.internal/cancuoc',
  version: RELEASE,
  services: {
    replicas: 3,
    maxReplicas: 12,
    resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '2', memory: '1Gi' } },
  },
  // A CSI class that encrypts at rest with the site's KMS; named per site.
  sharedStorageClass: 'encrypted-rwx',
  kafka: {
    pools: [
      {
        name: 'controllers',
        roles: ['controller'],
        replicas: 3,
        storage: '20Gi',
        resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { cpu: '2', memory: '2Gi' } },
      },
      {
        name: 'brokers',
        roles: ['broker'],
        replicas: 3,
        storage: '500Gi',
        resources: { requests: { cpu: '2', memory: '8Gi' }, limits: { cpu: '4', memory: '8Gi' } },
      },
    ],
    maxReplication: 3,
    agencyListener: 'loadbalancer',
    // The government data-exchange network the ministries connect from.
    agencyClientCidrs: ['10.128.0.0/12'],
  },
  identity: {
    oidcIssuer: 'https://id.cancuoc.gov.vn/realms/cancuoc',
    // The identity provider's addresses on the government network (a site setting).
    providerEgress: { cidrs: ['10.130.0.0/24'], ports: [443] },
    // An intermediate of the site's PKI, imported by the runbook; never made in the cluster.
    platformCa: 'provided',
    stations: ['enc-hn-01'],
  },
  agencies: ['bhxh', 'thue', 'gtvt'],
  postgres: {
    instances: 3,
    storage: '200Gi',
    walStorage: '50Gi',
    resources: { requests: { cpu: '2', memory: '8Gi' }, limits: { cpu: '4', memory: '8Gi' } },
    backupSchedule: '0 0 * * * *',
    retention: '30d',
    objectStore: {
      destinationPath: 's3://cancuoc-backups/prod',
      serverSideEncryption: true,
      egress: { cidrs: ['10.32.0.0/16'], ports: [443] },
    },
  },
  redis: {
    resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } },
    maxMemory: '800mb',
  },
  collector: {
    replicas: 2,
    resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    otlpEndpoint: 'otel-gateway.monitoring.svc:4317',
    egress: { namespace: 'monitoring', ports: [4317] },
  },
  monitoringNamespace: 'monitoring',
  edgeNamespace: 'cancuoc-edge',
  operatorNamespaces: { strimzi: 'strimzi', cnpg: 'cnpg-system' },
  apiServer: { cidrs: ['10.0.0.0/24'], ports: [443, 6443] },
};
