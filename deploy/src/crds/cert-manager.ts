/**
 * The cert-manager resources Cancuoc uses (`cert-manager.io/v1`, cert-manager 1.18+): a namespaced
 * `Issuer` (self-signed, or a CA backed by a Secret) and `Certificate`. No npm package installed
 * here ships their models, so like the Strimzi ones these are typed shapes and closed JSON schemas
 * of exactly the fields used, written from the cert-manager CRDs (`deploy/crds/` of
 * cert-manager/cert-manager): a misspelt field or a usage cert-manager does not know fails the
 * tests instead of being dropped by the API server's pruning.
 */
import type { SchemaObject } from 'ajv';
import type { Metadata } from './strimzi.js';

export const CERT_MANAGER_API = 'cert-manager.io/v1';

/** The key and extended key usages of cert-manager's `KeyUsage` enum that Cancuoc asks for. */
export type Usage = 'digital signature' | 'cert sign' | 'crl sign' | 'server auth' | 'client auth';

export interface Issuer {
  apiVersion: typeof CERT_MANAGER_API;
  kind: 'Issuer';
  metadata: Metadata;
  spec: { selfSigned: Record<string, never> } | { ca: { secretName: string } };
}

export interface Certificate {
  apiVersion: typeof CERT_MANAGER_API;
  kind: 'Certificate';
  metadata: Metadata;
  spec: {
    secretName: string;
    secretTemplate?: { labels?: Record<string, string> };
    commonName: string;
    subject?: { organizations?: string[] };
    dnsNames?: string[];
    uris?: string[];
    isCA?: boolean;
    usages: Usage[];
    duration: string;
    renewBefore: string;
    privateKey: {
      algorithm: 'ECDSA';
      size: 256 | 384;
      encoding: 'PKCS8';
      rotationPolicy: 'Always' | 'Never';
    };
    issuerRef: { name: string; kind: 'Issuer'; group: 'cert-manager.io' };
    revisionHistoryLimit?: number;
  };
}

const dnsLabel = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 };
const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
const metadata = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: dnsLabel,
    namespace: dnsLabel,
    labels: stringMap,
    annotations: stringMap,
  },
};
/** Go `time.ParseDuration` in the hours and minutes cert-manager's examples use (`2160h`, `720h0m0s`). */
const duration = { type: 'string', pattern: '^([0-9]+h)?([0-9]+m)?([0-9]+s)?$', minLength: 2 };

const header = (kind: string) => ({
  apiVersion: { const: CERT_MANAGER_API },
  kind: { const: kind },
  metadata,
});

export const issuerSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    ...header('Issuer'),
    spec: {
      type: 'object',
      // One issuer type per Issuer, as cert-manager's webhook demands.
      oneOf: [
        {
          additionalProperties: false,
          required: ['selfSigned'],
          properties: { selfSigned: { type: 'object', additionalProperties: false, properties: {} } },
        },
        {
          additionalProperties: false,
          required: ['ca'],
          properties: {
            ca: {
              type: 'object',
              additionalProperties: false,
              required: ['secretName'],
              properties: { secretName: dnsLabel },
            },
          },
        },
      ],
    },
  },
};

export const certificateSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    ...header('Certificate'),
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['secretName', 'issuerRef', 'commonName', 'usages', 'duration', 'renewBefore', 'privateKey'],
      properties: {
        secretName: dnsLabel,
        secretTemplate: {
          type: 'object',
          additionalProperties: false,
          properties: { labels: stringMap, annotations: stringMap },
        },
        // cert-manager warns that a longer one makes an invalid CSR.
        commonName: { type: 'string', minLength: 1, maxLength: 64 },
        subject: {
          type: 'object',
          additionalProperties: false,
          properties: { organizations: { type: 'array', items: { type: 'string' } } },
        },
        dnsNames: { type: 'array', items: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' } },
        // Cancuoc's identities only: the guard matches `URI:cancuoc:<kind>:<id>` against the token.
        uris: {
          type: 'array',
          items: { type: 'string', pattern: '^cancuoc:[a-z]+:[A-Za-z0-9][A-Za-z0-9._-]*$' },
        },
        isCA: { type: 'boolean' },
        usages: {
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: {
            enum: [
              'signing',
              'digital signature',
              'content commitment',
              'key encipherment',
              'key agreement',
              'data encipherment',
              'cert sign',
              'crl sign',
              'encipher only',
              'decipher only',
              'any',
              'server auth',
              'client auth',
              'code signing',
              'email protection',
              's/mime',
              'ipsec end system',
              'ipsec tunnel',
              'ipsec user',
              'timestamping',
              'ocsp signing',
              'microsoft sgc',
              'netscape sgc',
            ],
          },
        },
        duration,
        renewBefore: duration,
        privateKey: {
          type: 'object',
          additionalProperties: false,
          required: ['algorithm'],
          properties: {
            algorithm: { enum: ['RSA', 'ECDSA', 'Ed25519'] },
            size: { type: 'integer' },
            encoding: { enum: ['PKCS1', 'PKCS8'] },
            rotationPolicy: { enum: ['Never', 'Always'] },
          },
          // The sizes cert-manager accepts per algorithm (Ed25519 has none).
          allOf: [
            {
              if: { properties: { algorithm: { const: 'ECDSA' } } },
              then: { properties: { size: { enum: [256, 384, 521] } } },
            },
            {
              if: { properties: { algorithm: { const: 'RSA' } } },
              then: { properties: { size: { enum: [2048, 4096, 8192] } } },
            },
          ],
        },
        issuerRef: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: dnsLabel,
            kind: { enum: ['Issuer', 'ClusterIssuer'] },
            group: { const: 'cert-manager.io' },
          },
        },
        revisionHistoryLimit: { type: 'integer', minimum: 1 },
      },
    },
  },
};
