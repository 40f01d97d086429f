// Which identity a workload gets: WorkloadFacts → SPIFFE ID, hint and Conjur login. Pure.
export type { WorkloadIdentity } from './workload-identity.js';
