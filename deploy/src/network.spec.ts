import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEALTH_PORT } from './environment.js';
import { ENTITY_OPERATOR_LABELS, KAFKA_NODE_LABELS, databasePodLabels, selectorLabels } from './labels.js';
import { mayConnect, type PodRef } from './network.js';
import { OVERLAYS } from './overlays/index.js';
import { committedObjects } from './read-rendered.js';
import { SERVICES, type ServiceName } from './topology.js';

/** Who may call whom, checked against the rendered policies (docs/conventions.md). */
for (const overlay of OVERLAYS) {
  describe(`network policies of ${overlay.name}`, () => {
    const objects = committedObjects(overlay);
    const ns = overlay.namespace;
    const pod = (labels: Record<string, string>, namespace = ns): PodRef => ({ namespace, labels });
    const server = (s: ServiceName) => pod(selectorLabels(s, 'server'));
    const migration = (s: ServiceName) => pod(selectorLabels(`${s}-migrate`, 'migration'));
    const db = (s: ServiceName) => pod({ ...databasePodLabels(s), 'cnpg.io/podRole': 'instance' });
    const kafka = pod({ ...KAFKA_NODE_LABELS, 'strimzi.io/pool-name': 'any' });
    const redis = pod(selectorLabels('redis', 'cache'));
    const collector = pod(selectorLabels('otel-collector', 'telemetry'));
    const edge = pod({ app: 'grpc-gateway' }, overlay.edgeNamespace);
    const stranger = pod({ app: 'somebody' }, 'elsewhere');
    const may = (from: PodRef, to: PodRef, port: number) => mayConnect(objects, from, to, port);

    it('lets each service call exactly the peers the conventions name', () => {
      assert.ok(may(server('enrollment'), server('registry'), 50051));
      assert.ok(may(server('card-production'), server('enrollment'), 50052));
      for (const from of SERVICES) {
        for (const to of SERVICES) {
          if (from === to) continue;
          assert.equal(
            may(server(from.name), server(to.name), to.grpcPort),
            from.calls.includes(to.name),
            `${from.name} → ${to.name}`,
          );
        }
      }
    });

    it('lets the edge gateway reach every service, and nobody else from outside', () => {
      for (const s of SERVICES) {
        assert.ok(may(edge, server(s.name), s.grpcPort), s.name);
        assert.ok(!may(stranger, server(s.name), s.grpcPort), s.name);
        assert.ok(!may(edge, server(s.name), 9999), `${s.name} on another port`);
      }
      assert.ok(!may(edge, redis, 6379));
      assert.ok(!may(edge, db('registry'), 5432));
      assert.ok(!may(edge, kafka, 9093));
    });

    it('lets every service, and no migration, reach the OpenID provider', () => {
      const target = overlay.identity.providerEgress;
      const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as {
        metadata: { name: string };
        spec: { egress?: unknown[] };
      }[];
      const rule = JSON.stringify(
        'cidrs' in target
          ? {
              to: target.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
              ports: target.ports.map((port) => ({ protocol: 'TCP', port })),
            }
          : {
              to: [
                { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': target.namespace } } },
              ],
              ports: target.ports.map((port) => ({ protocol: 'TCP', port })),
            },
      );
      const reaching = policies.filter((p) => (p.spec.egress ?? []).some((r) => JSON.stringify(r) === rule));
      assert.deepEqual(reaching.map((p) => p.metadata.name).sort(), SERVICES.map((s) => s.name).sort());
      if ('namespace' in target) {
        const provider = pod({ app: 'keycloak' }, target.namespace);
        for (const s of SERVICES) assert.ok(may(server(s.name), provider, target.ports[0]!), s.name);
        assert.ok(!may(migration('registry'), provider, target.ports[0]!));
      }
    });

    it('gives each service and its migration its own database only', () => {
      for (const s of SERVICES) {
        for (const other of SERVICES) {
          const own = s.name === other.name;
          assert.equal(may(server(s.name), db(other.name), 5432), own, `${s.name} → ${other.name}-db`);
          assert.equal(
            may(migration(s.name), db(other.name), 5432),
            own,
            `${s.name} migration → ${other.name}-db`,
          );
        }
      }
    });

    it('keeps migrations away from everything but their database', () => {
      assert.ok(!may(migration('registry'), kafka, 9093));
      assert.ok(!may(migration('registry'), redis, 6379));
      assert.ok(!may(migration('registry'), server('registry'), 50051));
    });

    it('lets services reach Redis, the Kafka TLS listener and the collector, and no other broker port', () => {
      for (const s of SERVICES) {
        assert.ok(may(server(s.name), redis, 6379), s.name);
        assert.ok(may(server(s.name), kafka, 9093), s.name);
        assert.ok(!may(server(s.name), kafka, 9091), `${s.name} on the replication port`);
        assert.ok(may(server(s.name), collector, 4317), s.name);
      }
    });

    it('lets Kafka nodes replicate and the entity operator manage them, and Redis initiate nothing', () => {
      assert.ok(may(kafka, kafka, 9090));
      assert.ok(may(kafka, kafka, 9091));
      assert.ok(may(pod(ENTITY_OPERATOR_LABELS), kafka, 9091));
      assert.ok(!may(redis, server('registry'), 50051));
      assert.ok(!may(redis, kafka, 9093));
    });

    it("lets operators' tool pods reach the Kafka TLS listener and nothing else", () => {
      const tool = pod({
        'app.kubernetes.io/component': 'operator-tool',
        'app.kubernetes.io/part-of': 'cancuoc',
        run: 'kcat',
      });
      assert.ok(may(tool, kafka, 9093));
      assert.ok(!may(tool, kafka, 9091));
      assert.ok(!may(tool, db('registry'), 5432));
      assert.ok(!may(tool, server('registry'), 50051));
    });

    it('admits nobody to the plaintext health port: it is for the kubelet, which policies do not filter', () => {
      for (const s of SERVICES) {
        for (const from of [edge, stranger, ...SERVICES.map((o) => server(o.name))])
          assert.ok(!may(from, server(s.name), HEALTH_PORT), `${JSON.stringify(from.labels)} → ${s.name}`);
      }
    });

    it('lets database instances replicate within their own cluster only', () => {
      assert.ok(may(db('registry'), db('registry'), 5432));
      assert.ok(!may(db('registry'), db('enrollment'), 5432));
    });
  });
}
