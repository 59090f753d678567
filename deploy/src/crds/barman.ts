/**
 * The Barman Cloud plugin's `ObjectStore` (`barmancloud.cnpg.io/v1`), which replaces the deprecated
 * in-tree `spec.backup.barmanObjectStore` of CloudNativePG clusters. Its `spec.configuration` is the
 * barman-cloud `BarmanObjectStoreConfiguration`, whose model (and schema) ships in
 * @kubernetes-models/cloudnative-pg; the wrapper around it is small and written from the plugin's
 * API reference, closed like the Strimzi schemas.
 */
import type { IBarmanObjectStoreConfiguration } from '@kubernetes-models/cloudnative-pg/github.com/cloudnative-pg/barman-cloud/pkg/api/BarmanObjectStoreConfiguration';
import type { SchemaObject } from 'ajv';
import type { Metadata, ResourceRequirements } from './strimzi.js';

export const BARMAN_API = 'barmancloud.cnpg.io/v1';
export const BARMAN_PLUGIN = 'barman-cloud.cloudnative-pg.io';

export interface ObjectStore {
  apiVersion: typeof BARMAN_API;
  kind: 'ObjectStore';
  metadata: Metadata;
  spec: {
    configuration: IBarmanObjectStoreConfiguration;
    retentionPolicy: string;
    instanceSidecarConfiguration: { resources: ResourceRequirements };
  };
}

const quantity = { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$' };
const quantities = {
  type: 'object',
  additionalProperties: false,
  required: ['cpu', 'memory'],
  properties: { cpu: quantity, memory: quantity },
};

/** The wrapper only; `spec.configuration` is checked by the barman-cloud model's own validator. */
export const objectStoreSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: BARMAN_API },
    kind: { const: 'ObjectStore' },
    metadata: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
        namespace: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['configuration'],
      properties: {
        configuration: { type: 'object' },
        // The plugin's own validation: a positive number of days, weeks or months.
        retentionPolicy: { type: 'string', pattern: '^[1-9][0-9]*[dwm]$' },
        instanceSidecarConfiguration: {
          type: 'object',
          additionalProperties: false,
          properties: {
            resources: {
              type: 'object',
              additionalProperties: false,
              required: ['requests', 'limits'],
              properties: { requests: quantities, limits: quantities },
            },
          },
        },
      },
    },
  },
};
