import type { X509Svid } from './x509-svid.js';
import type { BundleSet } from './x509-bundle.js';

/** Everything one workload holds at a moment: its SVIDs (default first) and the bundles to verify peers. */
export interface X509Context {
  readonly svids: readonly X509Svid[];
  readonly bundles: BundleSet;
}
