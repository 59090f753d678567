import { alertRules } from './alerts.js';
import { certificateObjects } from './certificates.js';
import { collectorObjects } from './collector.js';
import { kafkaCluster, kafkaTopics, kafkaUsers, nodePools } from './kafka.js';
import { namespaceOf } from './namespace.js';
import {
  baselinePolicies,
  collectorPolicy,
  databasePolicy,
  kafkaPolicies,
  migrationPolicy,
  operatorToolPolicy,
  redisPolicy,
  servicePolicy,
} from './network-policies.js';
import type { Overlay } from './overlay.js';
import { databaseObjects } from './postgres.js';
import { redisObjects } from './redis.js';
import { migrationJob, serviceWorkload } from './service.js';
import { SERVICES } from './topology.js';

/** Any Kubernetes object as it is applied: apiVersion, kind, metadata, the rest. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

/**
 * One file per apply step, in the order of the runbook: the namespace and its baseline policies,
 * the platform (Kafka, databases, Redis, collector, the CA and certificates, the alerting rules), the release's
 * migrations, then the services.
 * The numbers sort the files in that order for `kubectl apply -f` on one file at a time.
 */
export interface ManifestFile {
  readonly file: string;
  readonly objects: readonly KubeObject[];
}

function plain(objects: readonly unknown[], namespace: string | undefined): KubeObject[] {
  return objects.map((o) => {
    const object = JSON.parse(JSON.stringify(o)) as KubeObject;
    if (namespace) {
      const { name, ...rest } = object.metadata;
      object.metadata = { name, namespace, ...rest };
    }
    return object;
  });
}

export function manifests(overlay: Overlay): ManifestFile[] {
  const ns = overlay.namespace;
  return [
    {
      file: '00-namespace.yaml',
      objects: [...plain([namespaceOf(overlay)], undefined), ...plain(baselinePolicies(), ns)],
    },
    {
      file: '10-kafka.yaml',
      objects: plain(
        [
          kafkaCluster(overlay),
          ...nodePools(overlay),
          ...kafkaTopics(overlay),
          ...kafkaUsers(overlay),
          ...kafkaPolicies(overlay),
          operatorToolPolicy(),
        ],
        ns,
      ),
    },
    {
      file: '11-postgres.yaml',
      objects: plain(
        SERVICES.flatMap((s) => [...databaseObjects(s, overlay), databasePolicy(s, overlay)]),
        ns,
      ),
    },
    { file: '12-redis.yaml', objects: plain([...redisObjects(overlay), redisPolicy()], ns) },
    {
      file: '13-collector.yaml',
      objects: plain([...collectorObjects(overlay), collectorPolicy(overlay)], ns),
    },
    { file: '14-certificates.yaml', objects: plain(certificateObjects(overlay), ns) },
    { file: '15-alerts.yaml', objects: plain([alertRules()], ns) },
    {
      file: '20-migrations.yaml',
      objects: plain(
        SERVICES.flatMap((s) => [...migrationJob(s, overlay), migrationPolicy(s)]),
        ns,
      ),
    },
    ...SERVICES.map((s, i) => ({
      file: `3${i}-${s.name}.yaml`,
      objects: plain([...serviceWorkload(s, overlay), servicePolicy(s, overlay)], ns),
    })),
  ];
}

export function allObjects(overlay: Overlay): KubeObject[] {
  return manifests(overlay).flatMap((f) => f.objects);
}
