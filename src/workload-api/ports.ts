import type { Peer } from '../peer/index.js';
import type { BundleSet, X509Context } from '../spiffe/index.js';
import type { WorkloadFacts } from '../attestation/index.js';
import type { WorkloadIdentity } from '../identity/index.js';
import type { AccessToken } from '../svid-cache/index.js';

/** Who is calling: facts from the kernel and the orchestrator, never from the caller. */
export interface Attestor {
  /** Throws an error with `code` 'not-a-workload' (no identity) or 'unavailable' (could not finish). */
  attest(peer: Peer, signal: AbortSignal): Promise<WorkloadFacts>;
}

/** Facts to identity; undefined means the caller has no identity (PermissionDenied). */
export interface IdentityResolver {
  resolve(facts: WorkloadFacts): WorkloadIdentity | undefined;
}

/** Up-to-date X.509 contexts and bundles; each iterable yields the newest state first. */
export interface SvidSubscriptions {
  subscribe(identity: WorkloadIdentity, signal: AbortSignal): AsyncIterable<X509Context>;
  subscribeBundles(signal: AbortSignal): AsyncIterable<BundleSet>;
}

/** The caller pod's Conjur access tokens: the current one first, then each refresh. */
export interface TokenSubscriptions {
  subscribeToken(identity: WorkloadIdentity, signal: AbortSignal): AsyncIterable<AccessToken>;
}

/**
 * Which group a connection's limits count against, decided when it is accepted: `pod <uid>` from
 * the caller's cgroup, or `uid <n>` for a process outside pods. Only the kernel's view is used.
 * Throws when the caller is already gone (the connection is then dropped).
 */
export interface CallerGroups {
  groupOf(peer: Peer, signal: AbortSignal): Promise<string>;
}
