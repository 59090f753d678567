/**
 * The Prometheus Operator's `PrometheusRule` (`monitoring.coreos.com/v1`), the form in which a
 * Kubernetes Prometheus (kube-prometheus-stack and most managed offerings) loads alerting rules.
 * No npm package installed here ships its model, so like the cert-manager ones this is a typed shape
 * and a closed JSON schema of exactly the fields used, written from the operator's CRD
 * (`example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml`).
 */
import type { SchemaObject } from 'ajv';
import type { Metadata } from './strimzi.js';

export const MONITORING_API = 'monitoring.coreos.com/v1';

export interface AlertingRule {
  alert: string;
  expr: string;
  /** Go duration the condition must hold before the alert fires; absent: at once. */
  for?: string;
  labels: { severity: 'page' | 'ticket' };
  annotations: { summary: string; description: string; runbook_url: string };
}

export interface PrometheusRule {
  apiVersion: typeof MONITORING_API;
  kind: 'PrometheusRule';
  metadata: Metadata;
  spec: { groups: { name: string; rules: AlertingRule[] }[] };
}

const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
const dnsLabel = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 };
const duration = {
  type: 'string',
  pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$',
};

export const prometheusRuleSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: MONITORING_API },
    kind: { const: 'PrometheusRule' },
    metadata: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: dnsLabel, namespace: dnsLabel, labels: stringMap, annotations: stringMap },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['groups'],
      properties: {
        groups: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'rules'],
            properties: {
              name: { type: 'string', minLength: 1 },
              rules: {
                type: 'array',
                minItems: 1,
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['alert', 'expr', 'labels', 'annotations'],
                  properties: {
                    alert: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]*$' },
                    expr: { type: 'string', minLength: 1 },
                    for: duration,
                    labels: {
                      type: 'object',
                      additionalProperties: false,
                      required: ['severity'],
                      properties: { severity: { enum: ['page', 'ticket'] } },
                    },
                    annotations: {
                      type: 'object',
                      additionalProperties: false,
                      required: ['summary', 'description', 'runbook_url'],
                      properties: {
                        summary: { type: 'string', minLength: 1 },
                        description: { type: 'string', minLength: 1 },
                        runbook_url: { type: 'string', minLength: 1 },
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
  },
};
