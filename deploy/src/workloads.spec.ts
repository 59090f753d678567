import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from './manifests.js';
import { manifests } from './manifests.js';
import { OVERLAYS } from './overlays/index.js';
import type { Container, PodSpec } from './pods.js';
import { committedObjects } from './read-rendered.js';
import { SERVICES, envPrefix } from './topology.js';

const [dev, prod] = OVERLAYS as [(typeof OVERLAYS)[number], (typeof OVERLAYS)[number]];
const pod = (o: KubeObject) => (o.spec as { template: { spec: PodSpec } }).template.spec;
const find = (objects: KubeObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name)!;
const envOf = (c: Container) => new Map((c.env ?? []).map((e) => [e.name, e]));

describe('service workloads follow docs/conventions.md', () => {
  for (const overlay of OVERLAYS) {
    const objects = committedObjects(overlay);
    for (const service of SERVICES) {
      it(`${overlay.name} ${service.name}: port, peers, secrets by reference, OpenID provider, standard OpenTelemetry variables`, () => {
        const container = pod(find(objects, 'Deployment', service.name)).containers[0]!;
        const env = envOf(container);
        const prefix = envPrefix(service.name);
        assert.equal(env.get(`${prefix}_GRPC_PORT`)?.value, String(service.grpcPort));
        for (const peer of service.calls) {
          const port = SERVICES.find((s) => s.name === peer)!.grpcPort;
          assert.equal(env.get(`${prefix}_${envPrefix(peer)}_ADDRESS`)?.value, `${peer}:${port}`);
        }
        assert.deepEqual(env.get('DATABASE_URL')?.valueFrom, {
          secretKeyRef: { name: `${service.name}-db-app`, key: 'uri' },
        });
        assert.equal(env.get('CANCUOC_OIDC_ISSUER')?.value, overlay.identity.oidcIssuer);
        assert.equal(env.get('CANCUOC_CLIENT_ID')?.value, `service:${service.name}`);
        assert.equal(env.get('KAFKA_BROKERS')?.value, 'cancuoc-kafka-bootstrap:9093');
        assert.equal(env.get('OTEL_SERVICE_NAME')?.value, service.name);
        assert.equal(container.image, `${overlay.imageRegistry}/${service.name}:${overlay.version}`);
        const service_ = find(objects, 'Service', service.name).spec as { ports: { port: number }[] };
        assert.equal(service_.ports[0]!.port, service.grpcPort);
        // The autoscaler owns the replica count; the Deployment must not fight it on every apply.
        assert.equal(
          (find(objects, 'Deployment', service.name).spec as { replicas?: number }).replicas,
          undefined,
        );
        for (const kind of [
          'HorizontalPodAutoscaler',
          'PodDisruptionBudget',
          'ServiceAccount',
          'NetworkPolicy',
        ]) {
          assert.ok(find(objects, kind, service.name), kind);
        }
      });

      it(`${overlay.name} ${service.name}: a migration Job named after the release, same image, main.js migrate`, () => {
        const jobName = `${service.name}-migrate-${overlay.version.replaceAll('.', '-')}`;
        const job = find(objects, 'Job', jobName);
        assert.ok(job, jobName);
        const migrate = pod(job).containers[0]!;
        const server = pod(find(objects, 'Deployment', service.name)).containers[0]!;
        assert.equal(migrate.image, server.image);
        assert.deepEqual((migrate as { args?: string[] }).args, ['migrate']);
        assert.deepEqual(
          envOf(migrate).get('DATABASE_URL')?.valueFrom,
          envOf(server).get('DATABASE_URL')?.valueFrom,
        );
        assert.equal((pod(job) as { restartPolicy?: string }).restartPolicy, 'Never');
      });
    }

    it(`${overlay.name}: files apply in runbook order — namespace, platform, migrations, then services`, () => {
      const files = manifests(overlay).map((m) => m.file);
      assert.deepEqual(files, [...files].sort());
      const index = (pattern: RegExp) => files.findIndex((f) => pattern.test(f));
      assert.ok(index(/namespace/) < index(/kafka/));
      assert.ok(index(/postgres/) < index(/migrations/));
      // The CA and the certificates come before any pod that mounts one.
      assert.ok(index(/namespace/) < index(/certificates/) && index(/certificates/) < index(/migrations/));
      for (const s of SERVICES) assert.ok(index(/migrations/) < index(new RegExp(s.name)), s.name);
      const migrations = manifests(overlay).find((m) => m.file.includes('migrations'))!;
      assert.ok(!migrations.objects.some((o) => o.kind === 'Deployment'));
    });
  }

  it('differs between dev and prod where an SRE expects it to', () => {
    const [d, p] = [committedObjects(dev), committedObjects(prod)];
    const replicas = (objects: KubeObject[]) =>
      (find(objects, 'HorizontalPodAutoscaler', 'registry').spec as { minReplicas: number }).minReplicas;
    assert.ok(replicas(p) > replicas(d));
    const pools = (objects: KubeObject[]) =>
      objects.filter((o) => o.kind === 'KafkaNodePool').map((o) => o.spec as { roles: string[] });
    assert.deepEqual(
      pools(d).map((s) => s.roles),
      [['controller', 'broker']],
    );
    assert.deepEqual(
      pools(p).map((s) => s.roles),
      [['controller'], ['broker']],
    );
    const cluster = (objects: KubeObject[]) =>
      find(objects, 'Cluster', 'registry-db').spec as { instances: number; storage: { size: string } };
    assert.ok(cluster(p).instances === 3 && cluster(d).instances === 1);
    assert.notEqual(cluster(p).storage.size, cluster(d).storage.size);
    const schedule = (objects: KubeObject[]) =>
      (find(objects, 'ScheduledBackup', 'registry-db-scheduled').spec as { schedule: string }).schedule;
    assert.notEqual(schedule(p), schedule(d));
  });

  it('archives WAL and takes scheduled backups for every service database', () => {
    for (const overlay of OVERLAYS) {
      const objects = committedObjects(overlay);
      for (const s of SERVICES) {
        const spec = find(objects, 'Cluster', `${s.name}-db`).spec as {
          plugins: { name: string; isWALArchiver: boolean; parameters: { barmanObjectName: string } }[];
        };
        const plugin = spec.plugins[0]!;
        assert.equal(plugin.name, 'barman-cloud.cloudnative-pg.io');
        assert.equal(plugin.isWALArchiver, true);
        assert.ok(find(objects, 'ObjectStore', plugin.parameters.barmanObjectName), s.name);
        const backup = find(objects, 'ScheduledBackup', `${s.name}-db-scheduled`).spec as {
          method: string;
          cluster: { name: string };
        };
        assert.equal(backup.method, 'plugin');
        assert.equal(backup.cluster.name, `${s.name}-db`);
      }
    }
  });
});
