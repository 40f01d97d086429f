import type { BundleSet, X509Svid } from '../spiffe/index.js';
import type { AccessToken } from './access-token.js';
import type { WorkloadIdentity } from '../identity/index.js';

/** Makes a new key and has a certificate issued for it (Conjur, or the development CA). */
export interface X509Issuer {
  issue(identity: WorkloadIdentity, signal: AbortSignal): Promise<X509Svid>;
}

/** The trust bundles served to every workload, as they change. */
export interface BundleSource {
  subscribe(signal: AbortSignal): AsyncIterable<BundleSet>;
}

/** Authenticates as the workload with its SVID (Conjur mTLS authenticate) for an access token. */
export interface TokenIssuer {
  fetchToken(identity: WorkloadIdentity, svid: X509Svid, signal: AbortSignal): Promise<AccessToken>;
}
