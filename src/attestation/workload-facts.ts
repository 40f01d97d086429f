import type { PeerCredentials } from '../peer/index.js';

/** Facts about a local process that is not (known to be) in a pod: what the unix attestor finds. */
export interface UnixFacts {
  readonly kind: 'unix';
  readonly process: PeerCredentials & { readonly exePath?: string };
}

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
}

/** A volume mount of the pod's containers, as needed to find a container's /etc/conjur/ssl on the node. */
export interface ContainerMount {
  readonly containerName: string;
  readonly volumeName: string;
  readonly mountPath: string;
}

/** A pod volume's kind as the node lays it out under <kubelet pods dir>/<pod uid>/volumes/. */
export interface PodVolume {
  readonly name: string;
  readonly kind: 'emptyDir' | 'other';
}

/** Everything trusted about a caller that runs in a pod: checked against the kubelet and the API server. */
export interface PodFacts {
  readonly kind: 'kubernetes';
  readonly process: PeerCredentials;
  readonly namespace: string;
  readonly podName: string;
  readonly podUid: string;
  readonly serviceAccount: string;
  readonly nodeName: string;
  readonly containerName: string;
  readonly containerId: string;
  readonly image: string;
  readonly imageDigest?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly ownerReferences: readonly OwnerReference[];
  readonly mounts: readonly ContainerMount[];
  readonly volumes: readonly PodVolume[];
}

export type WorkloadFacts = UnixFacts | PodFacts;
