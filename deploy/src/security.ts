import type { IContainer, IPodSecurityContext, ISecurityContext } from 'kubernetes-models/v1';

/** The `node` user of the official Node.js images, which the service images run as. */
export const NODE_UID = 1000;

/** Pod level: non-root, a fixed UID/GID, the runtime's default seccomp profile. */
export function podSecurityContext(uid: number, gid: number): IPodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    fsGroup: gid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container level: nothing writable but declared volumes, no capabilities, no escalation. */
export const CONTAINER_SECURITY: ISecurityContext = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  privileged: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

export function secretEnv(name: string, secret: string, key: string): NonNullable<IContainer['env']>[number] {
  return { name, valueFrom: { secretKeyRef: { name: secret, key } } };
}

/** Heap ceiling below the container's memory limit, so V8 collects before the kernel kills. */
export function maxOldSpaceMiB(memoryLimit: string): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(memoryLimit);
  if (!match) throw new Error(`memory limit ${memoryLimit} must be in Mi or Gi`);
  const mib = Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
  return Math.floor(mib * 0.75);
}
