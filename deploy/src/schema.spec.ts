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
      title: 'a Certificate usage cert-manager does not know',
      object: () => {
        const c = find(objects, 'Certificate', 'registry-tls');
        (c.spec as { usages: string[] }).usages = ['server authentication'];
        return c;
      },
      error: /usages\/0 must be equal to one of the allowed values/,
    },
    {
      title: 'a misspelt Certificate field (the cert-manager schemas are closed)',
      object: () => {
        const c = find(objects, 'Certificate', 'registry-tls');
        (c.spec as Record<string, unknown>).dnsName = ['registry'];
        return c;
      },
      error: /additional properties/,
    },
    {
      title: 'an ECDSA key of an RSA size',
      object: () => {
        const c = find(objects, 'Certificate', 'registry-tls');
        (c.spec as { privateKey: { size: number } }).privateKey.size = 2048;
        return c;
      },
      error: /privateKey\/size/,
    },
    {
      title: 'a URI SAN that is not a Cancuoc identity',
      object: () => {
        const c = find(objects, 'Certificate', 'registry-tls');
        (c.spec as { uris: string[] }).uris = ['spiffe://cluster.local/ns/cancuoc/sa/registry'];
        return c;
      },
      error: /uris\/0 must match pattern/,
    },
    {
      title: 'an Issuer of two kinds at once',
      object: () => {
        const i = find(objects, 'Issuer', 'cancuoc-platform-ca');
        (i.spec as Record<string, unknown>).selfSigned = {};
        return i;
      },
      error: /spec must match exactly one schema in oneOf/,
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
