import type { WorkloadIdentity } from '../../../src/identity/index.js';
import { SpiffeId } from '../../../src/spiffe/index.js';

export interface PodIdentityInput {
  namespace?: string;
  podName?: string;
  podUid?: string;
  nodeName?: string;
  login?: string;
  /** Volume mounted at /etc/conjur/ssl in the `authenticator` container. */
  sslVolume?: string;
  sslVolumeKind?: 'emptyDir' | 'other';
}

/** A workload identity for a pod, with the facts the Conjur issuer reads (node, uid, mounts, volumes). */
export function podIdentity(input: PodIdentityInput = {}): WorkloadIdentity {
  const namespace = input.namespace ?? 'apps';
  const podName = input.podName ?? 'app-1';
  const login = input.login ?? `host/conjur/authn-k8s/dev/apps/${namespace}/service_account/app`;
  const volume = input.sslVolume ?? 'conjur-ssl';
  return {
    key: input.podUid ?? '6a1c4f0e-0d5b-4c1e-9a57-3f2d1b0c9e8d',
    spiffeId: SpiffeId.parse(`spiffe://cluster.local/namespace/${namespace}/podname/${podName}`),
    hint: login,
    conjurLogin: login,
    facts: {
      kind: 'kubernetes',
      process: { pid: 4242, uid: 1000, gid: 1000 },
      namespace,
      podName,
      podUid: input.podUid ?? '6a1c4f0e-0d5b-4c1e-9a57-3f2d1b0c9e8d',
      serviceAccount: 'app',
      nodeName: input.nodeName ?? 'node-1',
      containerName: 'app',
      containerId: 'a'.repeat(64),
      image: 'example/app:1',
      labels: {},
      annotations: {},
      ownerReferences: [],
      mounts: [
        { containerName: 'app', volumeName: volume, mountPath: '/etc/conjur/ssl' },
        { containerName: 'authenticator', volumeName: volume, mountPath: '/etc/conjur/ssl' },
      ],
      volumes: [{ name: volume, kind: input.sslVolumeKind ?? 'emptyDir' }],
    },
  };
}

export function sslDirOf(podsDir: string, identity: WorkloadIdentity): string {
  if (identity.facts.kind !== 'kubernetes') throw new Error('not a pod');
  const volume = identity.facts.mounts[0]!.volumeName;
  return `${podsDir}/${identity.facts.podUid}/volumes/kubernetes.io~empty-dir/${volume}`;
}
