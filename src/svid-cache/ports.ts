import type { BundleSet, X509Svid } from '../spiffe/index.js';
import type { WorkloadIdentity } from '../identity/index.js';

/** Makes a new key and has a certificate issued for it (Conjur, or the development CA). */
export interface X509Issuer {
  issue(identity: WorkloadIdentity, signal: AbortSignal): Promise<X509Svid>;
}

/** The trust bundles served to every workload, as they change. */
export interface BundleSource {
  subscribe(signal: AbortSignal): AsyncIterable<BundleSet>;
}
