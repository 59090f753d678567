import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TOPICS, deadLetterTopicOf, partnerTopicsOf, topicCatalogue } from '@cancuoc/proto';
import type { KafkaTopic, KafkaUser } from './crds/strimzi.js';
import { kafkaTopics } from './kafka.js';
import type { KubeObject } from './manifests.js';
import { OVERLAYS } from './overlays/index.js';
import { committedObjects } from './read-rendered.js';
import { SERVICES } from './topology.js';

const topicsOf = (objects: KubeObject[]) =>
  objects.filter((o) => o.kind === 'KafkaTopic') as unknown as KafkaTopic[];
const usersOf = (objects: KubeObject[]) =>
  objects.filter((o) => o.kind === 'KafkaUser') as unknown as KafkaUser[];

function allows(user: KafkaUser, type: 'topic' | 'group', name: string, operation: string): boolean {
  return user.spec.authorization.acls.some(
    (acl) =>
      acl.resource.type === type &&
      acl.operations.includes(operation as never) &&
      (acl.resource.patternType === 'literal'
        ? acl.resource.name === name
        : name.startsWith(acl.resource.name)),
  );
}

for (const overlay of OVERLAYS) {
  describe(`Kafka of ${overlay.name}`, () => {
    const objects = committedObjects(overlay);
    const topics = topicsOf(objects);
    const users = usersOf(objects);
    const user = (name: string) => users.find((u) => u.metadata.name === name)!;

    it('has a KafkaTopic for every topic in the catalogue, and one per agency', () => {
      const names = new Set(topics.map((t) => t.spec.topicName));
      for (const t of topicCatalogue()) assert.ok(names.has(t.name), t.name);
      for (const agency of overlay.agencies) {
        assert.ok(names.has(`partner.${agency}.citizen.v1`), agency);
        assert.ok(names.has(`partner.${agency}.citizen-changes.v1`), agency);
      }
      assert.equal(topics.length, topicCatalogue().length + 2 * overlay.agencies.length);
    });

    it('keeps partitions, retention and cleanup from the catalogue; compacts partner topics', () => {
      for (const spec of [...topicCatalogue(), ...overlay.agencies.flatMap((a) => partnerTopicsOf(a))]) {
        const t = topics.find((x) => x.spec.topicName === spec.name)!;
        assert.equal(t.spec.partitions, spec.partitions, spec.name);
        assert.equal(t.spec.config['retention.ms'], spec.retentionMs, spec.name);
        assert.equal(t.spec.config['cleanup.policy'], spec.cleanupPolicy, spec.name);
      }
    });

    it('lets each published topic be written by its producer only, among the services', () => {
      for (const topic of TOPICS) {
        const writers = SERVICES.filter((s) => allows(user(s.name), 'topic', topic.name, 'Write')).map(
          (s) => s.name,
        );
        assert.deepEqual(writers, [SERVICES.find((s) => s.publishes?.name === topic.name)!.name], topic.name);
      }
    });

    it('lets consumers read what they consume with their own groups, and write only its dead letters', () => {
      for (const s of SERVICES) {
        const u = user(s.name);
        for (const topic of TOPICS) {
          assert.equal(
            allows(u, 'topic', topic.name, 'Read'),
            s.consumes.includes(topic),
            `${s.name} reads ${topic.name}`,
          );
          const dlq = deadLetterTopicOf(topic).name;
          assert.equal(
            allows(u, 'topic', dlq, 'Write'),
            s.consumes.includes(topic),
            `${s.name} writes ${dlq}`,
          );
        }
        if (s.consumes.length > 0) assert.ok(allows(u, 'group', `${s.name}.projection`, 'Read'), s.name);
        for (const other of SERVICES.filter((o) => o !== s))
          assert.ok(!allows(u, 'group', `${other.name}.x`, 'Read'));
      }
    });

    it('gives each agency its own partner topics and groups, by prefix, and nothing else', () => {
      for (const agency of overlay.agencies) {
        const u = user(`agency-${agency}`);
        assert.equal(u.spec.authentication.type, 'tls');
        assert.ok(allows(u, 'topic', `partner.${agency}.citizen.v1`, 'Read'));
        assert.ok(
          allows(u, 'topic', `partner.${agency}.changes.v1`, 'Read'),
          'a future partner topic is covered by the prefix',
        );
        assert.ok(allows(u, 'group', `partner.${agency}.reader`, 'Read'));
        assert.ok(!allows(u, 'topic', `partner.${agency}.citizen.v1`, 'Write'));
        for (const t of TOPICS) assert.ok(!allows(u, 'topic', t.name, 'Read'), t.name);
        for (const other of overlay.agencies.filter((a) => a !== agency)) {
          assert.ok(!allows(u, 'topic', `partner.${other}.citizen.v1`, 'Read'), `${agency} reads ${other}`);
        }
      }
      const sharing = user('data-sharing');
      for (const agency of overlay.agencies)
        assert.ok(allows(sharing, 'topic', `partner.${agency}.citizen.v1`, 'Write'));
    });

    it('keeps redrive to the operator user: no service may write a topic it consumes', () => {
      const operator = user('cancuoc-operator');
      for (const s of SERVICES) {
        for (const t of s.consumes) {
          assert.ok(!allows(user(s.name), 'topic', t.name, 'Write'), `${s.name} writes ${t.name}`);
          assert.ok(allows(operator, 'topic', t.name, 'Write'));
          assert.ok(allows(operator, 'topic', deadLetterTopicOf(t).name, 'Read'));
        }
      }
      assert.ok(allows(operator, 'group', 'cancuoc.redrive.all.internal.registry.citizen.v1.dlq', 'Read'));
      // A service may see how far a redrive got (its dead-letter depth), not take part in one.
      const sharing = user('data-sharing');
      const group = 'cancuoc.redrive.data-sharing.citizens.internal.registry.citizen.v1.dlq';
      assert.ok(allows(sharing, 'group', group, 'Describe'));
      assert.ok(!allows(sharing, 'group', group, 'Read'));
    });
  });
}

describe('Kafka durability per overlay', () => {
  it('keeps the catalogue replication in prod, and caps it to the one broker in dev', () => {
    const [dev, prod] = OVERLAYS;
    for (const t of kafkaTopics(prod!)) {
      const spec = [...topicCatalogue()].find((c) => c.name === t.spec.topicName);
      if (spec) {
        assert.equal(t.spec.replicas, spec.replicationFactor, t.spec.topicName);
        assert.equal(t.spec.config['min.insync.replicas'], spec.minInSyncReplicas, t.spec.topicName);
      }
    }
    for (const t of kafkaTopics(dev!)) {
      assert.equal(t.spec.replicas, 1);
      assert.equal(t.spec.config['min.insync.replicas'], 1);
    }
  });

  it('adds a KafkaTopic when a topic is added to the catalogue', () => {
    const extra = { ...TOPICS[0]!, name: 'internal.registry.household.v1' };
    (TOPICS as unknown as unknown[]).push(extra);
    try {
      assert.ok(
        kafkaTopics(OVERLAYS[1]!).some((t) => t.spec.topicName === 'internal.registry.household.v1.dlq'),
      );
    } finally {
      (TOPICS as unknown as unknown[]).pop();
    }
  });
});
