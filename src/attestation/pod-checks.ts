import type { ContainerInfo, PodInfo } from './ports.js';

/**
 * The trust checks between what the kernel says (container id, pod UID), what the kubelet says
 * (the pod on this node) and what the API server says (the pod as it stands now). Each returns
 * the reason the caller must not be trusted, or undefined. Pure, so each rule has a table test.
 */

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

/** The pod's container with this runtime id. Init containers count: they may call the agent too. */
export function findContainer(pod: PodInfo, containerId: string): ContainerInfo | undefined {
  if (containerId === '') return undefined;
  return [...pod.containers, ...pod.initContainers].find((c) => c.containerId === containerId);
}

export function podRef(pod: Pick<PodInfo, 'namespace' | 'name'>): string {
  return `${pod.namespace}/${pod.name}`;
}

/** The kubelet's pod must be the one the cgroup names, live, and on this node. */
export function checkKubeletPod(pod: PodInfo, expected: { podUid?: string; nodeName: string }): string | undefined {
  if (expected.podUid !== undefined && pod.uid !== expected.podUid) {
    return `the kubelet answered with pod ${podRef(pod)} (uid ${pod.uid}) but the cgroup names pod uid ${expected.podUid}`;
  }
  if (pod.nodeName !== expected.nodeName) {
    return `pod ${podRef(pod)} is on node ${describeNode(pod.nodeName)} according to the kubelet, not on this node ${expected.nodeName}`;
  }
  if (pod.deletionTimestamp !== undefined) {
    return `pod ${podRef(pod)} is being deleted (since ${pod.deletionTimestamp})`;
  }
  if (TERMINAL_PHASES.has(pod.phase)) return `pod ${podRef(pod)} has finished (phase ${pod.phase})`;
  return undefined;
}

/**
 * The API server's pod must exist with the same UID (a pod recreated under the same name is a
 * different workload), be bound to this node, and not be on its way out.
 */
export function checkApiPod(apiPod: PodInfo | undefined, kubeletPod: PodInfo, nodeName: string): string | undefined {
  const ref = podRef(kubeletPod);
  if (apiPod === undefined) return `pod ${ref} does not exist in the api server`;
  if (apiPod.uid !== kubeletPod.uid) {
    return `pod ${ref} has uid ${apiPod.uid} in the api server but uid ${kubeletPod.uid} on the kubelet`;
  }
  if (apiPod.nodeName !== nodeName) {
    return `pod ${ref} is bound to node ${describeNode(apiPod.nodeName)} in the api server, not to this node ${nodeName}`;
  }
  if (apiPod.deletionTimestamp !== undefined) {
    return `pod ${ref} is being deleted in the api server (since ${apiPod.deletionTimestamp})`;
  }
  if (TERMINAL_PHASES.has(apiPod.phase)) return `pod ${ref} has finished in the api server (phase ${apiPod.phase})`;
  return undefined;
}

function describeNode(nodeName: string): string {
  return nodeName === '' ? '(none)' : nodeName;
}
