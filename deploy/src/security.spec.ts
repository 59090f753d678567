import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { securityViolations } from './invariants.js';
import type { KubeObject } from './manifests.js';
import { OVERLAYS } from './overlays/index.js';
import type { Container, PodSpec } from './pods.js';
import { committedObjects, ownImages } from './read-rendered.js';

describe('security invariants of the committed YAML', () => {
  for (const overlay of OVERLAYS) {
    it(`hold for every object of ${overlay.name}`, () => {
      assert.deepEqual(securityViolations(committedObjects(overlay), { ownImages: ownImages(overlay) }), []);
    });
  }

  it('put no Secret object in the YAML: every secret is a reference', () => {
    for (const overlay of OVERLAYS) {
      assert.deepEqual(
        committedObjects(overlay).filter((o) => o.kind === 'Secret'),
        [],
      );
    }
  });

  // The checks must fail when they should: break one rule at a time on a copy and name the breach.
  const overlay = OVERLAYS[1]!;
  const options = { ownImages: ownImages(overlay) };
  const pristine = committedObjects(overlay);
  const podOf = (objects: KubeObject[], kind: string, name: string): PodSpec =>
    (
      objects.find((o) => o.kind === kind && o.metadata.name === name)!.spec as {
        template: { spec: PodSpec };
      }
    ).template.spec;
  const server = (objects: KubeObject[]): Container =>
    podOf(objects, 'Deployment', 'enrollment').containers[0]!;

  const breaches: { title: string; breach: (objects: KubeObject[]) => void; violation: RegExp }[] = [
    {
      title: 'a writable root filesystem',
      breach: (o) => (server(o).securityContext!.readOnlyRootFilesystem = false),
      violation: /Deployment enrollment container enrollment: root filesystem is writable/,
    },
    {
      title: 'a container allowed to run as root',
      breach: (o) => {
        delete server(o).securityContext!.runAsNonRoot;
        delete podOf(o, 'Deployment', 'enrollment').securityContext!.runAsNonRoot;
      },
      violation: /enrollment: may run as root/,
    },
    {
      title: 'UID 0 in a migration Job',
      breach: (o) => {
        const job = o.find((x) => x.kind === 'Job' && x.metadata.name.startsWith('registry-migrate'))!;
        (job.spec as { template: { spec: PodSpec } }).template.spec.securityContext!.runAsUser = 0;
      },
      violation: /Job registry-migrate-.*: runs as UID 0/,
    },
    {
      title: 'kept capabilities',
      breach: (o) => (server(o).securityContext!.capabilities = { drop: [], add: ['NET_ADMIN'] }),
      violation: /capabilities not dropped[\s\S]*adds capabilities|adds capabilities/,
    },
    {
      title: 'no memory limit',
      breach: (o) => delete server(o).resources!.limits!.memory,
      violation: /enrollment: no memory limits/,
    },
    {
      title: 'an HTTP readiness probe on a gRPC service',
      breach: (o) => (server(o).readinessProbe = { httpGet: { path: '/healthz', port: 8080 } }),
      violation: /readinessProbe is not a native gRPC probe/,
    },
    {
      title: 'a missing startup probe',
      breach: (o) => delete server(o).startupProbe,
      violation: /enrollment: no startupProbe/,
    },
    {
      title: 'a literal password',
      breach: (o) =>
        ((
          server(o).env!.find((e) => e.name === 'KAFKA_SASL_PASSWORD')! as {
            value?: string;
            valueFrom?: unknown;
          }
        ).value = 'x'.repeat(40)),
      violation: /KAFKA_SASL_PASSWORD has a literal value/,
    },
    {
      title: 'a password written into a URL',
      breach: (o) =>
        (server(o).env!.find((e) => e.name === 'REDIS_URL')!.value = 'redis://:hunter2hunter2@redis:6379/0'),
      violation: /REDIS_URL holds a password in a URL/,
    },
    {
      title: 'a Secret with data in the YAML',
      breach: (o) =>
        o.push({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'leak', namespace: overlay.namespace },
          data: { k: 'dg==' },
        }),
      violation: /Secret leak: carries secret values/,
    },
    {
      title: 'an image pinned by tag only',
      breach: (o) => (podOf(o, 'Deployment', 'redis').containers[0]!.image = 'redis:latest'),
      violation: /image redis:latest is not pinned by digest/,
    },
    {
      title: 'a service account token mounted',
      breach: (o) => (podOf(o, 'Deployment', 'otel-collector').automountServiceAccountToken = true),
      violation: /Deployment otel-collector: mounts a service account token/,
    },
    {
      title: 'a workload no NetworkPolicy selects',
      breach: (o) => {
        const d = structuredClone(o.find((x) => x.kind === 'Deployment' && x.metadata.name === 'redis')!);
        d.metadata.name = 'debug-shell';
        (d.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels =
          { app: 'debug' };
        o.push(d);
      },
      violation: /Deployment debug-shell: no NetworkPolicy selects its pods/,
    },
    {
      title: 'operator-made pods left uncovered (a CloudNativePG cluster without its policy)',
      breach: (o) => {
        const i = o.findIndex((x) => x.kind === 'NetworkPolicy' && x.metadata.name === 'data-sharing-db');
        o.splice(i, 1);
      },
      violation: /Cluster data-sharing-db: no NetworkPolicy selects its pods/,
    },
    {
      title: 'no default deny',
      breach: (o) =>
        o.splice(
          o.findIndex((x) => x.kind === 'NetworkPolicy' && x.metadata.name === 'default-deny'),
          1,
        ),
      violation: /namespace cancuoc: no default-deny NetworkPolicy/,
    },
    {
      title: 'an emptyDir without a size limit',
      breach: (o) => {
        const pod = podOf(o, 'Deployment', 'registry');
        pod.volumes!.push({ name: 'scratch', emptyDir: {} });
      },
      violation: /Deployment registry: emptyDir scratch has no sizeLimit/,
    },
  ];
  for (const b of breaches) {
    it(`catch ${b.title}`, () => {
      const objects = structuredClone(pristine);
      b.breach(objects);
      const violations = securityViolations(objects, options);
      assert.ok(
        violations.some((v) => b.violation.test(v)),
        violations.join('\n') || 'no violations',
      );
    });
  }
});
