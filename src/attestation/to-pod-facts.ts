import type { PeerCredentials } from '../peer/index.js';
import type { ContainerInfo, PodInfo } from './ports.js';
import type { ContainerMount, PodFacts } from './workload-facts.js';

// `docker.io/library/nginx@sha256:<64 hex>`, also with a `docker-pullable://` prefix. A bare
// `sha256:<hex>` imageID is the local image config id, not a registry digest, so it is not one.
const IMAGE_DIGEST = /@(sha256:[0-9a-f]{64})$/;

/** The registry digest of a container's image, from its status imageID. */
export function imageDigestOf(imageId: string): string | undefined {
  return IMAGE_DIGEST.exec(imageId)?.[1];
}

/** Every container's volume mounts (init containers too: either may be Conjur's injection target). */
export function containerMountsOf(pod: PodInfo): ContainerMount[] {
  return [...pod.initContainers, ...pod.containers].flatMap((container) =>
    container.volumeMounts.map((mount) => ({
      containerName: container.name,
      volumeName: mount.name,
      mountPath: mount.mountPath,
    })),
  );
}

/**
 * The attested facts. The container comes from the kubelet, which knows it first; metadata
 * comes from the API server's copy, which is current (labels and annotations, including
 * `conjur.org/authn-login`, can change after the pod starts and the kubelet's copy may lag).
 */
export function toPodFacts(process: PeerCredentials, kubeletPod: PodInfo, apiPod: PodInfo, container: ContainerInfo): PodFacts {
  const imageDigest = imageDigestOf(container.imageId);
  return {
    kind: 'kubernetes',
    process: { pid: process.pid, uid: process.uid, gid: process.gid },
    namespace: apiPod.namespace,
    podName: apiPod.name,
    podUid: apiPod.uid,
    serviceAccount: apiPod.serviceAccount,
    nodeName: apiPod.nodeName,
    containerName: container.name,
    containerId: container.containerId,
    image: container.image,
    ...(imageDigest === undefined ? {} : { imageDigest }),
    labels: { ...apiPod.labels },
    annotations: { ...apiPod.annotations },
    ownerReferences: apiPod.ownerReferences.map((ref) => ({ ...ref })),
    mounts: containerMountsOf(kubeletPod),
    volumes: kubeletPod.volumes.map((volume) => ({ ...volume })),
  };
}
