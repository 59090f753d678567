import type { KubeObject } from './manifests.js';
import { selects } from './network.js';
import { operatorPods, podTemplates, type Container, type PodTemplate } from './pods.js';

/**
 * The security rules every rendered object must keep, as checks that name each breach. They run on
 * the committed YAML (parsed back), so what is reviewed and applied is what is checked.
 */
const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE_KEY|CREDENTIAL|API_KEY/i;
// user:password@ in a URL, unless the password is a Kubernetes $(VAR) reference.
const URL_PASSWORD = /:\/\/[^/\s:@]*:(?!\$\()[^@\s/]+@/;
const PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const DIGEST = /@sha256:[0-9a-f]{64}$/;

export interface InvariantOptions {
  /** Our own images, tagged with the release (their digest is known only once CI has built them). */
  readonly ownImages: RegExp;
}

function isCancuocServer(t: PodTemplate): boolean {
  return (
    t.labels['app.kubernetes.io/part-of'] === 'cancuoc' &&
    t.labels['app.kubernetes.io/component'] === 'server'
  );
}

function containerViolations(t: PodTemplate, c: Container, options: InvariantOptions): string[] {
  const at = `${t.owner} container ${c.name}`;
  const pod = t.spec.securityContext ?? {};
  const sc = c.securityContext ?? {};
  const v: string[] = [];
  if (!(sc.runAsNonRoot ?? pod.runAsNonRoot)) v.push(`${at}: may run as root (runAsNonRoot not true)`);
  if ((sc.runAsUser ?? pod.runAsUser) === 0) v.push(`${at}: runs as UID 0`);
  if (sc.readOnlyRootFilesystem !== true) v.push(`${at}: root filesystem is writable`);
  if (sc.allowPrivilegeEscalation !== false) v.push(`${at}: privilege escalation not disabled`);
  if (sc.privileged) v.push(`${at}: privileged`);
  if (!(sc.capabilities?.drop ?? []).includes('ALL')) v.push(`${at}: capabilities not dropped (drop: [ALL])`);
  if ((sc.capabilities?.add ?? []).length > 0) v.push(`${at}: adds capabilities`);
  if ((sc.seccompProfile?.type ?? pod.seccompProfile?.type) !== 'RuntimeDefault')
    v.push(`${at}: seccomp not RuntimeDefault`);
  for (const kind of ['requests', 'limits'] as const) {
    for (const resource of ['cpu', 'memory']) {
      if (!c.resources?.[kind]?.[resource]) v.push(`${at}: no ${resource} ${kind}`);
    }
  }
  if (!c.image || !(DIGEST.test(c.image) || options.ownImages.test(c.image))) {
    v.push(`${at}: image ${c.image ?? '(none)'} is not pinned by digest`);
  }
  if (isCancuocServer(t)) {
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
      if (!c[probe]) v.push(`${at}: no ${probe}`);
      else if (!('grpc' in c[probe])) v.push(`${at}: ${probe} is not a native gRPC probe`);
    }
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined && SECRET_NAME.test(e.name))
      v.push(`${at}: ${e.name} has a literal value, not a secret reference`);
    if (e.value !== undefined && URL_PASSWORD.test(e.value))
      v.push(`${at}: ${e.name} holds a password in a URL`);
  }
  return v;
}

function podViolations(t: PodTemplate, options: InvariantOptions): string[] {
  const v: string[] = [];
  if (t.spec.automountServiceAccountToken !== false) v.push(`${t.owner}: mounts a service account token`);
  if (t.spec.hostNetwork || t.spec.hostPID || t.spec.hostIPC) v.push(`${t.owner}: shares a host namespace`);
  for (const volume of t.spec.volumes ?? []) {
    if (volume.hostPath) v.push(`${t.owner}: hostPath volume ${volume.name}`);
    if (volume.emptyDir && !volume.emptyDir.sizeLimit)
      v.push(`${t.owner}: emptyDir ${volume.name} has no sizeLimit`);
  }
  for (const c of [...(t.spec.initContainers ?? []), ...t.spec.containers])
    v.push(...containerViolations(t, c, options));
  return v;
}

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, out);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) strings(item, out);
  return out;
}

/** No secret material anywhere: no Secret objects with data, no keys or URL passwords in any value. */
function secretViolations(objects: readonly KubeObject[]): string[] {
  const v: string[] = [];
  for (const o of objects) {
    if (o.kind === 'Secret' && (o.data || o.stringData))
      v.push(`Secret ${o.metadata.name}: carries secret values`);
    for (const s of strings(o)) {
      if (PEM.test(s)) v.push(`${o.kind} ${o.metadata.name}: contains a private key`);
      if (URL_PASSWORD.test(s)) v.push(`${o.kind} ${o.metadata.name}: contains a password in a URL`);
    }
  }
  return v;
}

function isDefaultDeny(o: KubeObject): boolean {
  const spec = o.spec as {
    podSelector?: object;
    policyTypes?: string[];
    ingress?: unknown[];
    egress?: unknown[];
  };
  const everything = !spec.podSelector || Object.keys(spec.podSelector).length === 0;
  const types = spec.policyTypes ?? [];
  return (
    everything &&
    types.includes('Ingress') &&
    types.includes('Egress') &&
    !spec.ingress?.length &&
    !spec.egress?.length
  );
}

/** Default deny in every namespace that has pods, and an explicit policy for every set of pods. */
function networkPolicyViolations(objects: readonly KubeObject[]): string[] {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const v: string[] = [];
  const pods = [...podTemplates(objects), ...operatorPods(objects)];
  for (const ns of new Set(pods.map((p) => p.namespace))) {
    if (!policies.some((p) => p.metadata.namespace === ns && isDefaultDeny(p)))
      v.push(`namespace ${ns}: no default-deny NetworkPolicy`);
  }
  for (const pod of pods) {
    const covered = policies.some((p) => {
      const selector = (p.spec as { podSelector?: { matchLabels?: Record<string, string> } }).podSelector;
      const specific = Object.keys(selector?.matchLabels ?? {}).length > 0;
      return p.metadata.namespace === pod.namespace && specific && selects(selector, pod.labels);
    });
    if (!covered) v.push(`${pod.owner}: no NetworkPolicy selects its pods`);
  }
  return v;
}

function serviceAccountViolations(objects: readonly KubeObject[]): string[] {
  return objects
    .filter((o) => o.kind === 'ServiceAccount' && o.automountServiceAccountToken !== false)
    .map((o) => `ServiceAccount ${o.metadata.name}: automounts its token`);
}

export function securityViolations(objects: readonly KubeObject[], options: InvariantOptions): string[] {
  return [
    ...podTemplates(objects).flatMap((t) => podViolations(t, options)),
    ...secretViolations(objects),
    ...networkPolicyViolations(objects),
    ...serviceAccountViolations(objects),
  ];
}
