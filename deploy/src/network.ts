import type { KubeObject } from './manifests.js';

/**
 * A small evaluator of Kubernetes NetworkPolicy semantics for pods, enough to ask "may pod A open
 * a TCP connection to pod B on port P" of the rendered policies: policies add up; a pod selected by
 * no policy of a type is not isolated for it; a connection needs the sender's egress and the
 * receiver's ingress. Peers by pod and namespace labels (`kubernetes.io/metadata.name`); ipBlock
 * peers never match pods here, which is what we want of them (they are for outside addresses).
 */
export interface PodRef {
  readonly namespace: string;
  readonly labels: Record<string, string>;
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: unknown[];
}
interface Peer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: unknown;
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { protocol?: string; port?: number | string }[];
}
interface PolicySpec {
  podSelector: LabelSelector;
  policyTypes?: ('Ingress' | 'Egress')[];
  ingress?: Rule[];
  egress?: Rule[];
}

export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  if (selector.matchExpressions && selector.matchExpressions.length > 0) {
    throw new Error('matchExpressions are not evaluated here; use matchLabels');
  }
  return Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

function peerMatches(peer: Peer, policyNamespace: string, pod: PodRef): boolean {
  if (peer.ipBlock) return false;
  const namespaceOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, { 'kubernetes.io/metadata.name': pod.namespace })
    : pod.namespace === policyNamespace;
  return namespaceOk && selects(peer.podSelector, pod.labels);
}

function ruleAllows(
  rule: Rule,
  peers: Peer[] | undefined,
  policyNamespace: string,
  other: PodRef,
  port: number,
) {
  const peerOk = !peers || peers.length === 0 || peers.some((p) => peerMatches(p, policyNamespace, other));
  const portOk =
    !rule.ports ||
    rule.ports.length === 0 ||
    rule.ports.some((p) => (p.protocol ?? 'TCP') === 'TCP' && (p.port === undefined || p.port === port));
  return peerOk && portOk;
}

function policies(objects: readonly KubeObject[]) {
  return objects
    .filter((o) => o.kind === 'NetworkPolicy')
    .map((o) => ({ namespace: o.metadata.namespace ?? '', spec: o.spec as PolicySpec }));
}

function typesOf(spec: PolicySpec): ('Ingress' | 'Egress')[] {
  return spec.policyTypes ?? (spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
}

function direction(
  objects: readonly KubeObject[],
  subject: PodRef,
  other: PodRef,
  port: number,
  type: 'Ingress' | 'Egress',
) {
  const applicable = policies(objects).filter(
    (p) =>
      p.namespace === subject.namespace &&
      typesOf(p.spec).includes(type) &&
      selects(p.spec.podSelector, subject.labels),
  );
  if (applicable.length === 0) return true;
  return applicable.some((p) =>
    (type === 'Ingress' ? (p.spec.ingress ?? []) : (p.spec.egress ?? [])).some((rule) =>
      ruleAllows(rule, type === 'Ingress' ? rule.from : rule.to, p.namespace, other, port),
    ),
  );
}

export function mayConnect(objects: readonly KubeObject[], from: PodRef, to: PodRef, port: number): boolean {
  return direction(objects, from, to, port, 'Egress') && direction(objects, to, from, port, 'Ingress');
}
