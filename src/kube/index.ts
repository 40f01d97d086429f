// Kubernetes adapters: the kubelet's pods on this node (KubeletPodSource) and the API server's
// view for the cross-check and pod-gone events (ApiServerPodVerifier). They return plain PodInfo
// values, satisfy attestation's ports structurally and never import their consumers.
export { KubeletPodSource } from './kubelet-pod-source.js';
export type { KubeletPodSourceOptions, KubeletPodSourceStats } from './kubelet-pod-source.js';
export type { KubeletEndpoint, KubeletTls } from './kubelet-client.js';
export { ApiServerPodVerifier } from './api-server-pod-verifier.js';
export type { ApiServerPodVerifierOptions } from './api-server-pod-verifier.js';
export type { KubeConfigSource } from './kube-config.js';
export type { PodGoneListener, PodGoneReason } from './pod-view.js';
export { KubeError } from './kube-error.js';
export type { KubeErrorCode } from './kube-error.js';
export { fromPodJson, fromPodListJson } from './pod-json.js';
export type { PodInfo, ContainerInfo } from './pod-info.js';
