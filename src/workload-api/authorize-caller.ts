import { F } from '../log/index.js';
import type { LogFields } from '../log/index.js';
import type { AcceptedPeer } from '../peer/index.js';
import type { WorkloadIdentity } from '../identity/index.js';
import type { Attestor, IdentityResolver } from './ports.js';
import { WorkloadApiError } from './workload-api-error.js';

export interface CallerDeps {
  readonly attestor: Attestor;
  readonly identities: IdentityResolver;
}

/**
 * Attest, re-check, resolve: the identity a caller is entitled to, or a typed error.
 * Attestation reads /proc and the kubelet, which takes time; the facts are used only if the peer
 * is still the process that connected (SPIRE's peertracker rule), else a recycled pid could be
 * served someone else's identity.
 */
export async function authorizeCaller(
  peer: AcceptedPeer,
  deps: CallerDeps,
  signal: AbortSignal,
  logFields: LogFields,
): Promise<WorkloadIdentity> {
  const facts = await deps.attestor.attest(peer, signal);
  if (!(await peer.isStillAlive())) {
    throw new WorkloadApiError('caller-gone', `process ${peer.credentials.pid} exited or was replaced during attestation`);
  }
  const identity = deps.identities.resolve(facts);
  if (!identity) throw new WorkloadApiError('no-identity', `no identity matches the caller (${facts.kind} workload)`);
  logFields[F.spiffeId] = identity.spiffeId.toString();
  return identity;
}
