// The pod contract: reads pod manifests (a Pod or any workload's pod template) and says what in
// them would keep the agent from giving the pod an identity, or would get the pod refused by Pod
// Security `restricted`. Pure: no Kubernetes client, no I/O, so `check pod` stays light.
export { checkPodManifest } from './check-pod-manifest.js';
export type { PodManifestReport } from './check-pod-manifest.js';
export { checkPodContract, CONJUR_SSL_DIR, DEFAULT_POD_CONTRACT, LOGIN_ANNOTATION } from './contract-checks.js';
export type { PodContractOptions } from './contract-checks.js';
export { ConjurPolicyError, parseConjurHosts } from './conjur-hosts.js';
export type { ConjurHosts } from './conjur-hosts.js';
export { checkPodSecurityRestricted } from './pod-security-checks.js';
export type { PodSecurityFinding } from './pod-security-checks.js';
export { podTemplatesOf, POD_KINDS } from './pod-templates.js';
export type { PodTemplate } from './pod-templates.js';
