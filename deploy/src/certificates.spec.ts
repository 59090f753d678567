import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PLATFORM_CA } from './certificates.js';
import type { Certificate, Issuer } from './crds/cert-manager.js';
import { HEALTH_PORT } from './environment.js';
import type { KubeObject } from './manifests.js';
import { renderedDir } from './outputs.js';
import { OVERLAYS } from './overlays/index.js';
import { REPO_ROOT } from './paths.js';
import type { Container } from './pods.js';
import { committedObjects } from './read-rendered.js';
import { SERVICES, envPrefix } from './topology.js';

/** Every machine's own credential (architecture decision 9), checked on the committed YAML. */
const hours = (duration: string) => Number(/^(\d+)h$/.exec(duration)?.[1] ?? NaN);
interface Pod {
  containers: (Omit<Container, 'volumeMounts'> & { volumeMounts: Mount[]; ports: Port[] })[];
  volumes: Volume[];
}
const podOf = (objects: KubeObject[], name: string) =>
  (
    objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!.spec as {
      template: { spec: Pod };
    }
  ).template.spec;
const envOf = (c: Pick<Container, 'env'>) => new Map((c.env ?? []).map((e) => [e.name, e]));

interface Volume {
  name: string;
  secret?: { secretName: string; items?: { key: string; path: string }[] };
}
interface Port {
  name: string;
  containerPort: number;
}
interface Mount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}

for (const overlay of OVERLAYS) {
  describe(`identities in ${overlay.name}`, () => {
    const objects = committedObjects(overlay);
    const certificates = objects.filter((o) => o.kind === 'Certificate') as unknown as Certificate[];
    const issuers = objects.filter((o) => o.kind === 'Issuer') as unknown as Issuer[];
    const certificateFor = (subject: string) => {
      const found = certificates.filter((c) => c.spec.uris?.includes(`cancuoc:${subject}`));
      assert.equal(found.length, 1, `one certificate for ${subject}`);
      return found[0]!;
    };

    it('mentions the shared secret nowhere: no CANCUOC_AUTH_SECRET, no cancuoc-auth Secret', () => {
      const dir = join(REPO_ROOT, renderedDir(overlay));
      for (const file of readdirSync(dir)) {
        const text = readFileSync(join(dir, file), 'utf8');
        assert.doesNotMatch(text, /CANCUOC_AUTH_SECRET|\bcancuoc-auth\b/, file);
      }
    });

    it('issues every certificate from the platform CA Issuer, backed by its own Secret', () => {
      const ca = issuers.find((i) => i.metadata.name === PLATFORM_CA);
      assert.deepEqual(ca?.spec, { ca: { secretName: PLATFORM_CA } });
      const bootstrap = certificates.filter((c) => c.spec.secretName === PLATFORM_CA);
      if (overlay.identity.platformCa === 'bootstrap') {
        // cert-manager's bootstrap: a self-signed Issuer signs the CA certificate once.
        assert.equal(bootstrap.length, 1);
        assert.equal(bootstrap[0]!.spec.isCA, true);
        const root = issuers.find((i) => i.metadata.name === bootstrap[0]!.spec.issuerRef.name);
        assert.deepEqual(root?.spec, { selfSigned: {} });
        assert.equal(bootstrap[0]!.spec.privateKey.rotationPolicy, 'Never');
      } else {
        // The site's CA is imported by the runbook: nothing here may make or overwrite it.
        assert.deepEqual(bootstrap, []);
        assert.ok(!issuers.some((i) => 'selfSigned' in i.spec));
      }
      for (const c of certificates.filter((c) => !c.spec.isCA)) {
        assert.deepEqual(c.spec.issuerRef, { name: PLATFORM_CA, kind: 'Issuer', group: 'cert-manager.io' });
        assert.ok(
          hours(c.spec.renewBefore) < hours(c.spec.duration) / 2,
          `${c.metadata.name} renews in time`,
        );
        assert.equal(c.spec.privateKey.rotationPolicy, 'Always');
        assert.equal(c.spec.secretName, c.metadata.name);
      }
    });

    it('gives every service a certificate of its own, naming it and the names its callers dial', () => {
      const secrets = new Set<string>();
      for (const service of SERVICES) {
        const { spec } = certificateFor(`service:${service.name}`);
        secrets.add(spec.secretName);
        assert.equal(spec.commonName, `service:${service.name}`);
        assert.deepEqual(spec.uris, [`cancuoc:service:${service.name}`]);
        assert.ok(spec.usages.includes('server auth') && spec.usages.includes('client auth'), service.name);
        assert.ok(spec.dnsNames?.includes(`${service.name}.${overlay.namespace}.svc`), service.name);
        // Each peer address a service is given must be a name on the peer's certificate.
        for (const caller of SERVICES.filter((s) => s.calls.includes(service.name))) {
          const container = podOf(objects, caller.name).containers[0]!;
          const address = envOf(container).get(
            `${envPrefix(caller.name)}_${envPrefix(service.name)}_ADDRESS`,
          );
          const host = address?.value?.split(':')[0];
          assert.ok(host && spec.dnsNames?.includes(host), `${caller.name} dials ${address?.value}`);
        }
      }
      assert.equal(secrets.size, SERVICES.length);
    });

    it('mounts each service its own certificate and OAuth client key, read-only and whole, where its variables point', () => {
      const used = { tls: new Set<string>(), clientKey: new Set<string>() };
      for (const service of SERVICES) {
        const pod = podOf(objects, service.name);
        const container = pod.containers[0]!;
        const env = envOf(container);
        const fileIn = (secretName: string, variable: string) => {
          const volume = pod.volumes.find((v) => v.secret?.secretName === secretName);
          assert.ok(volume, `${service.name} mounts the Secret ${secretName}`);
          const mount = container.volumeMounts.find((m) => m.name === volume.name)!;
          // A subPath mount is never updated: a renewed certificate would not reach the pod.
          assert.equal(mount.subPath, undefined);
          assert.equal(mount.readOnly, true);
          const file = env.get(variable)?.value ?? '';
          assert.ok(file.startsWith(`${mount.mountPath}/`), `${variable}=${file}`);
          const path = file.slice(mount.mountPath.length + 1);
          assert.ok(
            volume.secret!.items!.some((item) => item.path === path),
            `${path} in ${secretName}`,
          );
        };
        const tls = certificateFor(`service:${service.name}`).spec.secretName;
        fileIn(tls, 'CANCUOC_TLS_CERT_FILE');
        fileIn(tls, 'CANCUOC_TLS_KEY_FILE');
        fileIn(tls, 'CANCUOC_TLS_CA_FILE');
        const clientKey = `${service.name}-oauth-client-key`;
        fileIn(clientKey, 'CANCUOC_CLIENT_KEY_FILE');
        used.tls.add(tls);
        used.clientKey.add(clientKey);
        assert.equal(env.get('CANCUOC_CLIENT_ID')?.value, `service:${service.name}`);
        assert.match(env.get('CANCUOC_OIDC_ISSUER')?.value ?? '', /^https?:\/\//);
      }
      // One Secret per service, never shared.
      assert.equal(used.tls.size, SERVICES.length);
      assert.equal(used.clientKey.size, SERVICES.length);
    });

    it('gives the example stations and every agency a client-only certificate naming them', () => {
      const clients = [
        ...overlay.identity.stations.map((id) => `station:${id}`),
        ...overlay.agencies.map((code) => `agency:${code}`),
      ];
      assert.ok(
        clients.some((c) => c.startsWith('station:')) && clients.some((c) => c.startsWith('agency:')),
      );
      for (const subject of clients) {
        const { spec } = certificateFor(subject);
        assert.equal(spec.commonName, subject);
        assert.deepEqual(spec.usages, ['digital signature', 'client auth']);
        assert.equal(spec.dnsNames, undefined);
      }
    });

    it('probes each service on a plaintext health port that its Service does not expose', () => {
      for (const service of SERVICES) {
        const container = podOf(objects, service.name).containers[0]!;
        for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe])
          assert.deepEqual(probe?.['grpc'], { port: HEALTH_PORT, service: '' });
        assert.ok(container.ports.some((p) => p.name === 'health' && p.containerPort === HEALTH_PORT));
        const env = [...(container.env ?? [])];
        const host = env.findIndex((e) => e.name === 'CANCUOC_HEALTH_HOST');
        const podIp = env.findIndex((e) => e.name === 'POD_IP');
        // `$(POD_IP)` expands only when POD_IP comes first.
        assert.ok(podIp >= 0 && podIp < host);
        assert.deepEqual(env[podIp]!.valueFrom, { fieldRef: { fieldPath: 'status.podIP' } });
        assert.equal(env[host]!.value, '$(POD_IP)');
        assert.equal(env.find((e) => e.name === 'CANCUOC_HEALTH_PORT')?.value, String(HEALTH_PORT));
        const ports = (
          objects.find((o) => o.kind === 'Service' && o.metadata.name === service.name)!.spec as {
            ports: { port: number }[];
          }
        ).ports.map((p) => p.port);
        assert.deepEqual(ports, [service.grpcPort]);
      }
    });
  });
}
