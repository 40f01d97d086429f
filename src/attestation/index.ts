// Who is calling: peer → cgroup → container id + pod UID → pod (via PodSource) → WorkloadFacts.
// Nothing here trusts what the caller says; any doubt fails closed.
export { AttestationError } from './attestation-error.js';
export type { AttestationErrorCode } from './attestation-error.js';
export type { WorkloadFacts, UnixFacts, PodFacts, OwnerReference, ContainerMount, PodVolume } from './workload-facts.js';
export type { PodSource, PodVerifier, PodInfo, ContainerInfo } from './ports.js';
export { KubernetesAttestor } from './kubernetes-attestor.js';
export type { KubernetesAttestorOptions, AttestationTrace, PodRef } from './kubernetes-attestor.js';
export type { AttestationStepName, TraceStep, TraceFailure, TraceDetail, TraceValue } from './attestation-trace.js';
export { debugAttest } from './debug-attest.js';
export type { DebugAttestReport, DebugAttestOptions, DebugStep, DebugStepName, TracingAttestor, ExplainingResolver } from './debug-attest.js';
export { locateContainer } from './cgroup/index.js';
export type { CgroupLayout, ContainerLocation, LocateOptions, OnRefusedProcRead, ProcReadRefusal } from './cgroup/index.js';
export { UnixAttestor } from './unix-attestor.js';
export { CgroupCallerGroups } from './cgroup-caller-groups.js';
export type { UnixAttestorOptions } from './unix-attestor.js';
