import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from './manifests.js';
import { OVERLAYS } from './overlays/index.js';
import { committedObjects } from './read-rendered.js';
import { schemaErrors } from './validate.js';

const find = (objects: KubeObject[], kind: string, name?: string) =>
  structuredClone(objects.find((o) => o.kind === kind && (!name || o.metadata.name === name))!);

describe('schema validation of the committed YAML', () => {
  for (const overlay of OVERLAYS) {
    it(`accepts every object of ${overlay.name}, and every kind there has a schema`, () => {
      const objects = committedObjects(overlay);
      assert.ok(objects.length > 50, `${objects.length} objects`);
      assert.deepEqual(objects.flatMap(schemaErrors), []);
    });
  }

  const objects = committedObjects(OVERLAYS[0]!);
  const cases: { title: string; object: () => KubeObject; error: RegExp }[] = [
    {
      title: 'a Deployment whose strategy is not an allowed value',
      object: () => {
        const d = find(objects, 'Deployment', 'registry');
        (d.spec as { strategy: { type: string } }).strategy.type = 'BlueGreen';
        return d;
      },
      error: /strategy\/type/,
    },
    {
      title: 'a container port that is not a number',
      object: () => {
        const d = find(objects, 'Deployment', 'registry');
        const spec = d.spec as {
          template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } };
        };
        spec.template.spec.containers[0]!.ports[0]!.containerPort = 'fifty';
        return d;
      },
      error: /containerPort/,
    },
    {
      title: 'a misspelt KafkaTopic field (the Strimzi schemas are closed)',
      object: () => {
        const t = find(objects, 'KafkaTopic');
        (t.spec as Record<string, unknown>).partition = 3;
        return t;
      },
      error: /additional properties/,
    },
    {
      title: 'a KafkaUser ACL operation Strimzi does not know',
      object: () => {
        const u = find(objects, 'KafkaUser', 'registry');
        (
          u.spec as { authorization: { acls: { operations: string[] }[] } }
        ).authorization.acls[0]!.operations = ['Publish'];
        return u;
      },
      error: /operations/,
    },
    {
      title: 'a KafkaNodePool without its cluster label',
      object: () => {
        const p = find(objects, 'KafkaNodePool');
        p.metadata.labels = {};
        return p;
      },
      error: /strimzi\.io\/cluster/,
    },
    {
      title: 'a CloudNativePG Cluster with instances as a string',
      object: () => {
        const c = find(objects, 'Cluster');
        (c.spec as { instances: unknown }).instances = 'three';
        return c;
      },
      error: /instances/,
    },
    {
      title: 'an ObjectStore retention the plugin would refuse',
      object: () => {
        const s = find(objects, 'ObjectStore');
        (s.spec as { retentionPolicy: string }).retentionPolicy = '30 days';
        return s;
      },
      error: /retentionPolicy/,
    },
    {
      title: 'an ObjectStore configuration without its destination (barman-cloud model)',
      object: () => {
        const s = find(objects, 'ObjectStore');
        delete (s.spec as { configuration: { destinationPath?: string } }).configuration.destinationPath;
        return s;
      },
      error: /destinationPath/,
    },
    {
      title: 'a kind nobody wrote a schema for',
      object: () => ({ apiVersion: 'example.io/v1', kind: 'Widget', metadata: { name: 'w' } }),
      error: /no schema for example\.io\/v1\/Widget/,
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.title}`, () => {
      const errors = schemaErrors(c.object());
      assert.ok(
        errors.some((e) => c.error.test(e)),
        errors.join('\n') || 'no errors',
      );
    });
  }
});
