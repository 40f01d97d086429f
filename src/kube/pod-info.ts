// The pod values this folder produces. Declared here, identical in shape to attestation's
// PodInfo/ContainerInfo ports, because an adapter never imports its consumer: TypeScript checks
// the match structurally where agent.ts wires the two together.

/** A container of a pod as the kubelet reports it (status joined with spec). */
export interface ContainerInfo {
  readonly name: string;
  readonly image: string;
  /** imageID from the status, e.g. `docker.io/library/nginx@sha256:...` (may be empty). */
  readonly imageId: string;
  /** The bare runtime id (64 hex for containerd/cri-o/docker), without the `containerd://` prefix; empty until started. */
  readonly containerId: string;
  readonly volumeMounts: readonly { readonly name: string; readonly mountPath: string }[];
}

/** A pod as plain values, parsed at the edge from kubelet or API server JSON. */
export interface PodInfo {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string;
  readonly serviceAccount: string;
  readonly phase: string;
  readonly deletionTimestamp?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly ownerReferences: readonly {
    readonly apiVersion: string;
    readonly kind: string;
    readonly name: string;
    readonly uid: string;
    readonly controller?: boolean;
  }[];
  readonly containers: readonly ContainerInfo[];
  readonly initContainers: readonly ContainerInfo[];
  readonly volumes: readonly { readonly name: string; readonly kind: 'emptyDir' | 'other' }[];
}

/** Pods that have finished for good: their containers are gone, so no caller can be in them. */
export function isTerminal(pod: PodInfo): boolean {
  return pod.phase === 'Succeeded' || pod.phase === 'Failed';
}
