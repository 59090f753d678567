import { Cluster, ScheduledBackup } from '@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1';
import { BARMAN_API, BARMAN_PLUGIN, type ObjectStore } from './crds/barman.js';
import { SECRETS } from './environment.js';
import { PART_OF, databaseCluster } from './labels.js';
import type { Overlay } from './overlay.js';
import { databaseName, type ServiceSpec } from './topology.js';

export function objectStoreName(service: ServiceSpec): string {
  return `${databaseCluster(service.name)}-backups`;
}

const partOf = { 'app.kubernetes.io/part-of': PART_OF };

/**
 * Where a service database archives its WAL and base backups: its own path in the bucket, WAL and
 * data compressed (and encrypted at rest by the store where it can), old backups pruned by the retention policy.
 */
export function objectStore(service: ServiceSpec, overlay: Overlay): ObjectStore {
  const store = overlay.postgres.objectStore;
  const encryption = store.serverSideEncryption ? { encryption: 'AES256' } : {};
  return {
    apiVersion: BARMAN_API,
    kind: 'ObjectStore',
    metadata: { name: objectStoreName(service), labels: partOf },
    spec: {
      configuration: {
        destinationPath: `${store.destinationPath}/${databaseCluster(service.name)}`,
        ...(store.endpointURL ? { endpointURL: store.endpointURL } : {}),
        s3Credentials: {
          accessKeyId: { name: SECRETS.objectStore, key: 'ACCESS_KEY_ID' },
          secretAccessKey: { name: SECRETS.objectStore, key: 'ACCESS_SECRET_KEY' },
        },
        wal: { compression: 'gzip', maxParallel: 4, ...encryption },
        data: { compression: 'gzip', jobs: 2, ...encryption },
      },
      retentionPolicy: overlay.postgres.retention,
      instanceSidecarConfiguration: {
        resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
      },
    },
  };
}

/**
 * A service's own PostgreSQL cluster. The owner (`<service>` in database `<service>`) is what the
 * service and its migrations connect as; CloudNativePG puts its URL in `<cluster>-app`.
 */
export function databaseClusterOf(service: ServiceSpec, overlay: Overlay): Cluster {
  const pg = overlay.postgres;
  const db = databaseName(service.name);
  return new Cluster({
    metadata: { name: databaseCluster(service.name), labels: partOf },
    spec: {
      instances: pg.instances,
      primaryUpdateStrategy: 'unsupervised',
      bootstrap: { initdb: { database: db, owner: db, dataChecksums: true } },
      enableSuperuserAccess: false,
      storage: { size: pg.storage },
      walStorage: { size: pg.walStorage },
      resources: pg.resources,
      postgresql: {
        parameters: {
          // Decision 2: readers wait for the oldest open transaction; a forgotten one must not stall them.
          idle_in_transaction_session_timeout: '60s',
          max_connections: '200',
          log_min_duration_statement: '1000',
          // Statements only; parameters may hold personal data, which must not reach the logs.
          log_parameter_max_length: '0',
          log_parameter_max_length_on_error: '0',
        },
      },
      affinity: {
        enablePodAntiAffinity: true,
        topologyKey: 'kubernetes.io/hostname',
        podAntiAffinityType: 'required',
      },
      plugins: [
        {
          name: BARMAN_PLUGIN,
          isWALArchiver: true,
          parameters: { barmanObjectName: objectStoreName(service) },
        },
      ],
    },
  });
}

export function scheduledBackup(service: ServiceSpec, overlay: Overlay): ScheduledBackup {
  return new ScheduledBackup({
    metadata: { name: `${databaseCluster(service.name)}-scheduled`, labels: partOf },
    spec: {
      cluster: { name: databaseCluster(service.name) },
      schedule: overlay.postgres.backupSchedule,
      backupOwnerReference: 'self',
      immediate: true,
      method: 'plugin',
      pluginConfiguration: { name: BARMAN_PLUGIN },
    },
  });
}

export function databaseObjects(service: ServiceSpec, overlay: Overlay) {
  return [
    objectStore(service, overlay),
    databaseClusterOf(service, overlay),
    scheduledBackup(service, overlay),
  ];
}
