// The SPIFFE vocabulary: IDs, trust domains, SVIDs, bundles. Pure values, no I/O;
// everything parsed from the wire becomes one of these at the edge.
export { SpiffeIdError } from './spiffe-error.js';
export { TrustDomain } from './trust-domain.js';
export { SpiffeId } from './spiffe-id.js';
export type { X509Svid } from './x509-svid.js';
export { bundleSetOf, sameBundleSet } from './x509-bundle.js';
export type { X509Bundle, BundleSet } from './x509-bundle.js';
export type { X509Context } from './x509-context.js';
