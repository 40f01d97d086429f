import type { SpiffeId } from '../spiffe/index.js';
import type { WorkloadFacts } from '../attestation/index.js';

/**
 * The identity a workload is entitled to. `key` groups callers that share one SVID and one
 * issuance (a pod's UID in Kubernetes; the uid in development mode). `hint` goes out on the wire.
 * `conjurLogin` is the Conjur host login (`host/...`) when Conjur issues the SVID.
 */
export interface WorkloadIdentity {
  readonly key: string;
  readonly spiffeId: SpiffeId;
  readonly hint: string;
  readonly conjurLogin?: string;
  readonly facts: WorkloadFacts;
}
