import type { WorkloadFacts } from '../attestation/index.js';
import { SpiffeId } from '../spiffe/index.js';
import type { TrustDomain } from '../spiffe/index.js';
import type { WorkloadIdentity } from './workload-identity.js';

export interface UidIdentityResolverOptions {
  readonly trustDomain: TrustDomain;
}

/**
 * Development mode's rule: a local process gets `spiffe://<td>/uid/<uid>`, shared by every
 * process of that uid (key `uid:<uid>`, one SVID per uid). Pod facts get no identity here:
 * pods are the Kubernetes resolver's business. Pure.
 */
export class UidIdentityResolver {
  constructor(private readonly options: UidIdentityResolverOptions) {}

  resolve(facts: WorkloadFacts): WorkloadIdentity | undefined {
    if (facts.kind !== 'unix') return undefined;
    const uid = facts.process.uid;
    if (!Number.isInteger(uid) || uid < 0) return undefined;
    return {
      key: `uid:${uid}`,
      spiffeId: SpiffeId.fromSegments(this.options.trustDomain, 'uid', String(uid)),
      hint: `uid/${uid}`,
      facts,
    };
  }
}
