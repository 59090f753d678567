import { Namespace } from 'kubernetes-models/v1';
import { PART_OF } from './labels.js';
import type { Overlay } from './overlay.js';

/**
 * The namespace enforces the `restricted` Pod Security Standard, so a pod that could run as root,
 * escalate or keep capabilities is refused at admission, whoever made it. Strimzi's pods comply
 * when its operator runs with the restricted pod security provider (see deploy/README.md).
 */
export function namespaceOf(overlay: Overlay): Namespace {
  return new Namespace({
    metadata: {
      name: overlay.namespace,
      labels: {
        'app.kubernetes.io/part-of': PART_OF,
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
      },
    },
  });
}
