import { Deployment } from 'kubernetes-models/apps/v1';
import { Service } from 'kubernetes-models/v1';
import { REDIS_PORT, SECRETS } from './environment.js';
import { REDIS, labels, selectorLabels } from './labels.js';
import type { Overlay } from './overlay.js';
import { CONTAINER_SECURITY, podSecurityContext, secretEnv } from './security.js';

/** redis:8.10.2-alpine, the multi-platform index digest published in docker-library/repo-info. */
export const REDIS_IMAGE =
  'redis:8.10.2-alpine@sha256:72cedd9603038893af961e90ac5e1a1a0d8377d5e338dbdad8fe284ea25de18f';
/** The image's `redis` user and group. */
const REDIS_UID = 999;
const REDIS_GID = 1000;

/**
 * Redis is never the source of truth (decision 7): caches, idempotency results, leases. So one
 * instance, nothing persisted, and a restart costs cache misses. Every key Cancuoc writes carries a
 * TTL, so under memory pressure `volatile-lru` evicts what is cheapest to lose.
 */
export function redisObjects(overlay: Overlay) {
  const podLabels = labels(REDIS, 'cache');
  const selector = selectorLabels(REDIS, 'cache');
  const ping = ['sh', '-c', 'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG'];
  return [
    new Deployment({
      metadata: { name: REDIS, labels: podLabels },
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        strategy: { type: 'Recreate' },
        template: {
          metadata: { labels: podLabels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: podSecurityContext(REDIS_UID, REDIS_GID),
            containers: [
              {
                name: REDIS,
                image: REDIS_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                command: ['redis-server'],
                args: [
                  '--requirepass',
                  '$(REDIS_PASSWORD)',
                  '--save',
                  '',
                  '--appendonly',
                  'no',
                  '--maxmemory',
                  overlay.redis.maxMemory,
                  '--maxmemory-policy',
                  'volatile-lru',
                  '--protected-mode',
                  'yes',
                ],
                env: [secretEnv('REDIS_PASSWORD', SECRETS.redis, 'password')],
                ports: [{ name: 'redis', containerPort: REDIS_PORT, protocol: 'TCP' }],
                resources: overlay.redis.resources,
                securityContext: CONTAINER_SECURITY,
                readinessProbe: { exec: { command: ping }, periodSeconds: 5, timeoutSeconds: 2 },
                livenessProbe: {
                  exec: { command: ping },
                  periodSeconds: 10,
                  timeoutSeconds: 2,
                  failureThreshold: 3,
                },
              },
            ],
          },
        },
      },
    }),
    new Service({
      metadata: { name: REDIS, labels: podLabels },
      spec: { selector, ports: [{ name: 'redis', port: REDIS_PORT, targetPort: 'redis', protocol: 'TCP' }] },
    }),
  ];
}
