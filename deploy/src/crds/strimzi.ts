/**
 * Typed builders' shapes for the Strimzi resources Cancuoc uses (`kafka.strimzi.io/v1`, Strimzi
 * 0.49+), and JSON schemas of exactly those fields. No npm package ships Strimzi models or CRDs,
 * so these are written from the Strimzi API reference; the schemas close every object
 * (`additionalProperties: false`), so a misspelt or unsupported field fails the tests instead of
 * being silently ignored by the operator.
 */
import type { SchemaObject } from 'ajv';

export const STRIMZI_API = 'kafka.strimzi.io/v1';

export interface Metadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Quantities {
  cpu: string;
  memory: string;
}
export interface ResourceRequirements {
  requests: Quantities;
  limits: Quantities;
}

export interface KafkaListener {
  name: string;
  port: number;
  type: 'internal' | 'cluster-ip' | 'loadbalancer';
  tls: boolean;
  authentication: { type: 'scram-sha-512' | 'tls' };
  networkPolicyPeers?: (
    { podSelector: { matchLabels: Record<string, string> } } | { ipBlock: { cidr: string } }
  )[];
}

export interface Kafka {
  apiVersion: typeof STRIMZI_API;
  kind: 'Kafka';
  metadata: Metadata;
  spec: {
    kafka: {
      version: string;
      metadataVersion: string;
      listeners: KafkaListener[];
      authorization: { type: 'simple' };
      config: Record<string, string | number | boolean>;
    };
    entityOperator: {
      topicOperator: { resources: ResourceRequirements };
      userOperator: { resources: ResourceRequirements };
    };
  };
}

export interface KafkaNodePool {
  apiVersion: typeof STRIMZI_API;
  kind: 'KafkaNodePool';
  metadata: Metadata;
  spec: {
    replicas: number;
    roles: ('controller' | 'broker')[];
    storage: {
      type: 'jbod';
      volumes: {
        id: number;
        type: 'persistent-claim';
        size: string;
        deleteClaim: boolean;
        kraftMetadata?: 'shared';
      }[];
    };
    resources: ResourceRequirements;
  };
}

export interface KafkaTopic {
  apiVersion: typeof STRIMZI_API;
  kind: 'KafkaTopic';
  metadata: Metadata;
  spec: {
    topicName: string;
    partitions: number;
    replicas: number;
    config: Record<string, string | number>;
  };
}

export type AclOperation = 'Read' | 'Write' | 'Describe' | 'Create' | 'DescribeConfigs';

export interface KafkaAcl {
  type: 'allow';
  resource: { type: 'topic' | 'group'; name: string; patternType: 'literal' | 'prefix' };
  operations: AclOperation[];
}

export interface KafkaUser {
  apiVersion: typeof STRIMZI_API;
  kind: 'KafkaUser';
  metadata: Metadata;
  spec: {
    authentication: { type: 'scram-sha-512' | 'tls' };
    authorization: { type: 'simple'; acls: KafkaAcl[] };
  };
}

const stringMap = {
  type: 'object',
  additionalProperties: { type: 'string' },
  required: [],
} as const;

// Kubernetes names: DNS-1123 subdomains (KafkaTopic names may contain dots).
const name = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253 } as const;
const quantity = { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$' } as const;

const metadata: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name,
    namespace: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
    labels: { ...stringMap },
    annotations: { ...stringMap },
  },
};

const quantities: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['cpu', 'memory'],
  properties: { cpu: quantity, memory: quantity },
};
const resources: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['requests', 'limits'],
  properties: { requests: quantities, limits: quantities },
};

function kind<K extends string>(k: K) {
  return {
    apiVersion: { type: 'string', const: STRIMZI_API },
    kind: { type: 'string', const: k },
    metadata,
  } as const;
}

/** `strimzi.io/cluster` names the Kafka cluster a pool, topic or user belongs to. */
const clusterLabelled: SchemaObject = {
  ...metadata,
  properties: {
    ...metadata.properties,
    labels: {
      type: 'object',
      additionalProperties: { type: 'string' },
      properties: { 'strimzi.io/cluster': { type: 'string', minLength: 1 } },
      required: ['strimzi.io/cluster'],
    },
  },
  required: ['name', 'labels'],
};

export const kafkaSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    ...kind('Kafka'),
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['kafka', 'entityOperator'],
      properties: {
        kafka: {
          type: 'object',
          additionalProperties: false,
          required: ['version', 'metadataVersion', 'listeners', 'authorization', 'config'],
          properties: {
            version: { type: 'string', pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+$' },
            metadataVersion: { type: 'string', pattern: '^[0-9]+\\.[0-9]+-IV[0-9]+$' },
            listeners: {
              type: 'array',
              minItems: 1,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['name', 'port', 'type', 'tls', 'authentication'],
                properties: {
                  // Strimzi: lower-case letters and digits, at most 11 characters; ports 9092 and up.
                  name: { type: 'string', pattern: '^[a-z0-9]{1,11}$' },
                  port: { type: 'integer', minimum: 9092, not: { enum: [9404, 9999] } },
                  type: { type: 'string', enum: ['internal', 'cluster-ip', 'loadbalancer'] },
                  tls: { type: 'boolean' },
                  authentication: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['type'],
                    properties: { type: { type: 'string', enum: ['scram-sha-512', 'tls'] } },
                  },
                  networkPolicyPeers: {
                    type: 'array',
                    items: {
                      oneOf: [
                        {
                          type: 'object',
                          additionalProperties: false,
                          required: ['podSelector'],
                          properties: {
                            podSelector: {
                              type: 'object',
                              additionalProperties: false,
                              required: ['matchLabels'],
                              properties: { matchLabels: stringMap },
                            },
                          },
                        },
                        {
                          type: 'object',
                          additionalProperties: false,
                          required: ['ipBlock'],
                          properties: {
                            ipBlock: {
                              type: 'object',
                              additionalProperties: false,
                              required: ['cidr'],
                              properties: { cidr: { type: 'string', pattern: '^[0-9.]+/[0-9]{1,2}$' } },
                            },
                          },
                        },
                      ],
                    },
                  },
                },
              },
            },
            authorization: {
              type: 'object',
              additionalProperties: false,
              required: ['type'],
              properties: { type: { type: 'string', const: 'simple' } },
            },
            config: {
              type: 'object',
              required: [],
              additionalProperties: { type: ['string', 'number', 'boolean'] },
            },
          },
        },
        entityOperator: {
          type: 'object',
          additionalProperties: false,
          required: ['topicOperator', 'userOperator'],
          properties: {
            topicOperator: {
              type: 'object',
              additionalProperties: false,
              required: ['resources'],
              properties: { resources },
            },
            userOperator: {
              type: 'object',
              additionalProperties: false,
              required: ['resources'],
              properties: { resources },
            },
          },
        },
      },
    },
  },
};

export const kafkaNodePoolSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    ...kind('KafkaNodePool'),
    metadata: clusterLabelled,
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['replicas', 'roles', 'storage', 'resources'],
      properties: {
        replicas: { type: 'integer', minimum: 1 },
        roles: {
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { type: 'string', enum: ['controller', 'broker'] },
        },
        storage: {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'volumes'],
          properties: {
            type: { type: 'string', const: 'jbod' },
            volumes: {
              type: 'array',
              minItems: 1,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['id', 'type', 'size', 'deleteClaim'],
                properties: {
                  id: { type: 'integer', minimum: 0 },
                  type: { type: 'string', const: 'persistent-claim' },
                  size: quantity,
                  deleteClaim: { type: 'boolean' },
                  kraftMetadata: { type: 'string', const: 'shared' },
                },
              },
            },
          },
        },
        resources,
      },
    },
  },
};

export const kafkaTopicSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    ...kind('KafkaTopic'),
    metadata: clusterLabelled,
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['topicName', 'partitions', 'replicas', 'config'],
      properties: {
        topicName: { type: 'string', pattern: '^[a-zA-Z0-9._-]{1,249}$' },
        partitions: { type: 'integer', minimum: 1 },
        replicas: { type: 'integer', minimum: 1, maximum: 32767 },
        config: {
          type: 'object',
          required: [],
          additionalProperties: { type: ['string', 'number'] },
        },
      },
    },
  },
};

export const kafkaUserSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    ...kind('KafkaUser'),
    metadata: clusterLabelled,
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['authentication', 'authorization'],
      properties: {
        authentication: {
          type: 'object',
          additionalProperties: false,
          required: ['type'],
          properties: { type: { type: 'string', enum: ['scram-sha-512', 'tls'] } },
        },
        authorization: {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'acls'],
          properties: {
            type: { type: 'string', const: 'simple' },
            acls: {
              type: 'array',
              minItems: 1,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['type', 'resource', 'operations'],
                properties: {
                  type: { type: 'string', const: 'allow' },
                  resource: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['type', 'name', 'patternType'],
                    properties: {
                      type: { type: 'string', enum: ['topic', 'group'] },
                      name: { type: 'string', minLength: 1 },
                      patternType: { type: 'string', enum: ['literal', 'prefix'] },
                    },
                  },
                  operations: {
                    type: 'array',
                    minItems: 1,
                    uniqueItems: true,
                    items: {
                      type: 'string',
                      enum: ['Read', 'Write', 'Describe', 'Create', 'DescribeConfigs'],
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};
