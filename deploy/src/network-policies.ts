import {
  NetworkPolicy,
  type INetworkPolicyEgressRule,
  type INetworkPolicyIngressRule,
  type INetworkPolicyPeer,
} from 'kubernetes-models/networking.k8s.io/v1';
import {
  KAFKA_AGENCY_PORT,
  KAFKA_TLS_PORT,
  OTLP_GRPC_PORT,
  OTLP_HTTP_PORT,
  POSTGRES_PORT,
  REDIS_PORT,
} from './environment.js';
import {
  COLLECTOR,
  ENTITY_OPERATOR_LABELS,
  KAFKA_NODE_LABELS,
  KAFKA_POD_LABELS,
  OPERATOR_TOOL_LABELS,
  REDIS,
  databaseCluster,
  databasePodLabels,
  labels,
  selectorLabels,
} from './labels.js';
import type { EgressTarget, Overlay } from './overlay.js';
import { SERVICES, serviceNamed, type ServiceSpec } from './topology.js';

/**
 * Default deny in the namespace, then one policy per workload naming exactly what it may reach and
 * who may reach it. Kubernetes adds policies up (a union of allows), so each edge of the service
 * graph in docs/conventions.md appears twice: as egress of the caller and ingress of the callee.
 */
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP' as const, port }));
const pods = (matchLabels: Record<string, string>): INetworkPolicyPeer => ({ podSelector: { matchLabels } });
const namespace = (name: string): INetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } },
});
const servers = (specs: readonly ServiceSpec[]) => specs.map((s) => pods(selectorLabels(s.name, 'server')));

function egressTo(target: EgressTarget): INetworkPolicyEgressRule {
  return 'cidrs' in target
    ? { to: target.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: tcp(...target.ports) }
    : { to: [namespace(target.namespace)], ports: tcp(...target.ports) };
}

function policy(
  name: string,
  podSelector: Record<string, string>,
  rules: { ingress?: INetworkPolicyIngressRule[]; egress?: INetworkPolicyEgressRule[] },
): NetworkPolicy {
  return new NetworkPolicy({
    metadata: { name, labels: labels(name, 'server') },
    spec: {
      podSelector: { matchLabels: podSelector },
      policyTypes: ['Ingress', 'Egress'],
      ingress: rules.ingress ?? [],
      egress: rules.egress ?? [],
    },
  });
}

export const DEFAULT_DENY = 'default-deny';

/** Deny everything in the namespace, then allow DNS to every pod (each needs to resolve peers). */
export function baselinePolicies(): NetworkPolicy[] {
  return [
    new NetworkPolicy({
      metadata: { name: DEFAULT_DENY, labels: labels(DEFAULT_DENY, 'server') },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    }),
    new NetworkPolicy({
      metadata: { name: 'allow-dns', labels: labels('allow-dns', 'server') },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ ...namespace('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      },
    }),
  ];
}

/** Who calls a service: the services that name it as a peer, and the edge gateway. */
function callersOf(service: ServiceSpec): ServiceSpec[] {
  return SERVICES.filter((s) => s.calls.includes(service.name));
}

export function servicePolicy(service: ServiceSpec, overlay: Overlay): NetworkPolicy {
  const callers = callersOf(service);
  return policy(service.name, selectorLabels(service.name, 'server'), {
    ingress: [
      ...(callers.length > 0 ? [{ from: servers(callers), ports: tcp(service.grpcPort) }] : []),
      { from: [namespace(overlay.edgeNamespace)], ports: tcp(service.grpcPort) },
    ],
    egress: [
      { to: [pods(databasePodLabels(service.name))], ports: tcp(POSTGRES_PORT) },
      { to: [pods(selectorLabels(REDIS, 'cache'))], ports: tcp(REDIS_PORT) },
      { to: [pods(KAFKA_NODE_LABELS)], ports: tcp(KAFKA_TLS_PORT) },
      { to: [pods(selectorLabels(COLLECTOR, 'telemetry'))], ports: tcp(OTLP_GRPC_PORT) },
      egressTo(overlay.identity.providerEgress),
      ...service.calls.map((peer) => ({
        to: [pods(selectorLabels(peer, 'server'))],
        ports: tcp(serviceNamed(peer).grpcPort),
      })),
    ],
  });
}

/** A migration reaches its own database and nothing else. */
export function migrationPolicy(service: ServiceSpec): NetworkPolicy {
  return policy(`${service.name}-migrate`, selectorLabels(`${service.name}-migrate`, 'migration'), {
    egress: [{ to: [pods(databasePodLabels(service.name))], ports: tcp(POSTGRES_PORT) }],
  });
}

/** CloudNativePG's instance manager listens on 8000 (status, used by the operator and peers). */
const CNPG_STATUS_PORT = 8000;

export function databasePolicy(service: ServiceSpec, overlay: Overlay): NetworkPolicy {
  const self = pods(databasePodLabels(service.name));
  return policy(databaseCluster(service.name), databasePodLabels(service.name), {
    ingress: [
      {
        from: [
          pods(selectorLabels(service.name, 'server')),
          pods(selectorLabels(`${service.name}-migrate`, 'migration')),
        ],
        ports: tcp(POSTGRES_PORT),
      },
      // Streaming replication and the instance managers between instances of the same cluster.
      { from: [self], ports: tcp(POSTGRES_PORT, CNPG_STATUS_PORT) },
      { from: [namespace(overlay.operatorNamespaces.cnpg)], ports: tcp(POSTGRES_PORT, CNPG_STATUS_PORT) },
    ],
    egress: [
      { to: [self], ports: tcp(POSTGRES_PORT, CNPG_STATUS_PORT) },
      // The instance manager is a controller: it watches its Cluster through the API server.
      egressTo(overlay.apiServer),
      // Base backups and WAL archiving (the Barman Cloud plugin's sidecar).
      egressTo(overlay.postgres.objectStore.egress),
      // The Barman Cloud plugin in the operator's namespace.
      { to: [namespace(overlay.operatorNamespaces.cnpg)] },
    ],
  });
}

/** Strimzi's node ports: 9090 KRaft control plane, 9091 replication and operators. */
const KAFKA_CONTROL_PLANE = 9090;
const KAFKA_REPLICATION = 9091;

export function kafkaPolicies(overlay: Overlay): NetworkPolicy[] {
  const clients = [
    ...SERVICES.map((s) => pods(selectorLabels(s.name, 'server'))),
    pods(OPERATOR_TOOL_LABELS),
  ];
  const strimzi = namespace(overlay.operatorNamespaces.strimzi);
  return [
    policy('kafka-nodes', KAFKA_NODE_LABELS, {
      ingress: [
        { from: clients, ports: tcp(KAFKA_TLS_PORT) },
        {
          from: overlay.kafka.agencyClientCidrs.map((cidr) => ({ ipBlock: { cidr } })),
          ports: tcp(KAFKA_AGENCY_PORT),
        },
        { from: [pods(KAFKA_POD_LABELS), strimzi], ports: tcp(KAFKA_CONTROL_PLANE, KAFKA_REPLICATION) },
      ],
      egress: [{ to: [pods(KAFKA_NODE_LABELS)], ports: tcp(KAFKA_CONTROL_PLANE, KAFKA_REPLICATION) }],
    }),
    // The Topic and User Operators: KafkaTopic/KafkaUser from the API server, ACLs to the brokers.
    policy('kafka-entity-operator', ENTITY_OPERATOR_LABELS, {
      egress: [{ to: [pods(KAFKA_NODE_LABELS)], ports: tcp(KAFKA_REPLICATION) }, egressTo(overlay.apiServer)],
    }),
  ];
}

/** Operators' one-off pods (runbook: DLQ inspection, redrive) reach the Kafka TLS listener only. */
export function operatorToolPolicy(): NetworkPolicy {
  return policy('operator-tools', OPERATOR_TOOL_LABELS, {
    egress: [{ to: [pods(KAFKA_NODE_LABELS)], ports: tcp(KAFKA_TLS_PORT) }],
  });
}

export function redisPolicy(): NetworkPolicy {
  return policy(REDIS, selectorLabels(REDIS, 'cache'), {
    ingress: [{ from: servers(SERVICES), ports: tcp(REDIS_PORT) }],
  });
}

/** Prometheus scrapes the collector's exporter; the collector ships traces and logs onward. */
export const COLLECTOR_METRICS_PORT = 8889;

export function collectorPolicy(overlay: Overlay): NetworkPolicy {
  return policy(COLLECTOR, selectorLabels(COLLECTOR, 'telemetry'), {
    ingress: [
      { from: servers(SERVICES), ports: tcp(OTLP_GRPC_PORT, OTLP_HTTP_PORT) },
      { from: [namespace(overlay.monitoringNamespace)], ports: tcp(COLLECTOR_METRICS_PORT) },
    ],
    egress: overlay.collector.egress ? [egressTo(overlay.collector.egress)] : [],
  });
}
