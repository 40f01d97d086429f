import { SpiffeId, TrustDomain } from '../../src/spiffe/index.js';
import type { IdentityResolver } from '../../src/workload-api/index.js';
import type { WorkloadFacts } from '../../src/attestation/index.js';
import type { WorkloadIdentity } from '../../src/identity/index.js';

/**
 * Gives a unix caller `spiffe://<td>/uid/<uid>` (or `/pid/<pid>` with `by: 'pid'`, which tells
 * processes of one user apart). Knob: `deny(uid)` makes that uid identity-less.
 */
export class FakeIdentityResolver implements IdentityResolver {
  private readonly denied = new Set<number>();
  by: 'uid' | 'pid' = 'uid';
  resolveCalls = 0;

  constructor(private readonly trustDomain = TrustDomain.parse('example.org')) {}

  resolve(facts: WorkloadFacts): WorkloadIdentity | undefined {
    this.resolveCalls += 1;
    const { uid, pid } = facts.process;
    if (this.denied.has(uid)) return undefined;
    const value = this.by === 'uid' ? uid : pid;
    return {
      key: `${this.by}:${value}`,
      spiffeId: SpiffeId.fromSegments(this.trustDomain, this.by, String(value)),
      hint: `${this.by}-${value}`,
      conjurLogin: `host/test/${this.by}-${value}`,
      facts,
    };
  }

  deny(uid: number): void {
    this.denied.add(uid);
  }
}
