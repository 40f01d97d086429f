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

/** Pods on this node, from the kubelet: cached, indexed, one request in flight. */
export interface PodSource {
  /**
   * The pod with this UID that runs this container. Waits a bounded time for a container that
   * has just started and is not listed yet; undefined when it never shows up.
   * Throws (code 'unavailable') when the kubelet cannot be asked.
   */
  findPod(query: { podUid?: string; containerId: string }, signal: AbortSignal): Promise<PodInfo | undefined>;
}

/** The API server's view of a pod, for the cross-check. */
export interface PodVerifier {
  /** The pod by namespace/name from the API server (a local watch view when current); undefined if it does not exist. */
  getPod(namespace: string, name: string, signal: AbortSignal): Promise<PodInfo | undefined>;
}
