/**
 * What differs between environments. An overlay is data only; the builders turn it into objects.
 * Addresses of things outside the namespace (the API server, object storage, telemetry backends,
 * the edge gateway) are per cluster and belong here, never in the builders.
 */
export interface Resources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

export interface ServiceOverlay {
  readonly replicas: number;
  readonly maxReplicas: number;
  readonly resources: Resources;
}

/** Where a pod may send traffic outside the namespace: CIDRs, or pods in another namespace. */
export type EgressTarget =
  | { readonly cidrs: readonly string[]; readonly ports: readonly number[] }
  | { readonly namespace: string; readonly ports: readonly number[] };

export interface Overlay {
  readonly name: 'dev' | 'prod';
  readonly namespace: string;
  /** Image registry and repository prefix; the service images are `<registry>/<service>:<tag>`. */
  readonly imageRegistry: string;
  /** The release: image tag and part of each migration Job's name. */
  readonly version: string;
  readonly services: ServiceOverlay;
  /**
   * StorageClass of volumes every replica of a service mounts at once (ReadWriteMany): card
   * production's key directory. In production an encrypted class (CSI with KMS), never hostPath.
   */
  readonly sharedStorageClass: string;
  readonly kafka: {
    /** Dual-role (controller + broker) nodes in dev; separate controller and broker pools in prod. */
    readonly pools: readonly {
      readonly name: string;
      readonly roles: readonly ('controller' | 'broker')[];
      readonly replicas: number;
      readonly storage: string;
      readonly resources: Resources;
    }[];
    /** Caps the catalogue's replication factor (one broker in dev cannot hold three replicas). */
    readonly maxReplication: number;
    /** How agencies reach their partner topics (mutual TLS). */
    readonly agencyListener: 'cluster-ip' | 'loadbalancer';
    readonly agencyClientCidrs: readonly string[];
  };
  /** Who says who a caller is (architecture decision 9). */
  readonly identity: {
    /** `CANCUOC_OIDC_ISSUER`: the OpenID Connect provider whose tokens every service accepts. */
    readonly oidcIssuer: string;
    /**
     * Where the provider is, for the services' egress: discovery, its published keys and the token
     * endpoint (client credentials). Without it no service could verify a token or get one.
     */
    readonly providerEgress: EgressTarget;
    /**
     * Where the platform CA comes from. `bootstrap`: cert-manager makes a self-signed one in the
     * namespace (a developer cluster: a new namespace is a new CA). `provided`: the runbook puts the
     * site's CA for the platform in the Secret `cancuoc-platform-ca`, so the certificates of
     * stations and agencies, which live outside the cluster, outlast the cluster.
     */
    readonly platformCa: 'bootstrap' | 'provided';
    /** Encoding stations given a client certificate here (an example; ids as in their tokens). */
    readonly stations: readonly string[];
  };
  /**
   * Agency codes (lower case): each gets a KafkaUser, its `partner.<agency>.*` topics and a client
   * certificate for the query API.
   */
  readonly agencies: readonly string[];
  readonly postgres: {
    readonly instances: number;
    readonly storage: string;
    readonly walStorage: string;
    readonly resources: Resources;
    /** CloudNativePG ScheduledBackup schedule: six fields, seconds first. */
    readonly backupSchedule: string;
    readonly retention: string;
    readonly objectStore: {
      /** `s3://bucket/prefix`; each service database archives under `<prefix>/<cluster>`. */
      readonly destinationPath: string;
      readonly endpointURL?: string;
      /** Ask the store to encrypt backups and WAL at rest (S3 SSE); an in-cluster MinIO may lack a KMS. */
      readonly serverSideEncryption: boolean;
      readonly egress: EgressTarget;
    };
  };
  readonly redis: { readonly resources: Resources; readonly maxMemory: string };
  readonly collector: {
    readonly replicas: number;
    readonly resources: Resources;
    /** OTLP/gRPC backend (a gateway collector or vendor endpoint) for traces and logs; `debug` prints them to the collector log. */
    readonly otlpEndpoint: string | 'debug';
    readonly egress: EgressTarget | undefined;
  };
  /** The namespace of the Prometheus that scrapes the collector's metrics endpoint. */
  readonly monitoringNamespace: string;
  /** The namespace of the gRPC gateway through which clerks, stations and agencies call in. */
  readonly edgeNamespace: string;
  readonly operatorNamespaces: { readonly strimzi: string; readonly cnpg: string };
  /** The Kubernetes API server as pods see it after service translation (operators' sidecars). */
  readonly apiServer: EgressTarget;
}
