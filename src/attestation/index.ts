// Who is calling: peer → cgroup → container id + pod UID → pod (via PodSource) → WorkloadFacts.
// Nothing here trusts what the caller says; any doubt fails closed.
export { AttestationError } from './attestation-error.js';
export type { AttestationErrorCode } from './attestation-error.js';
export type { WorkloadFacts, UnixFacts, PodFacts, OwnerReference, ContainerMount, PodVolume } from './workload-facts.js';
export type { PodSource, PodVerifier, PodInfo, ContainerInfo } from './ports.js';
