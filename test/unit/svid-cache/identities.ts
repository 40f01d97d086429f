import type { WorkloadIdentity } from '../../../src/identity/index.js';
import { SpiffeId } from '../../../src/spiffe/index.js';

/** A pod-like identity for cache tests: key `pod-<n>`, ID `spiffe://example.org/ns/apps/pod/pod-<n>`. */
export function podIdentity(n: number | string): WorkloadIdentity {
  return {
    key: `pod-${n}`,
    spiffeId: SpiffeId.parse(`spiffe://example.org/ns/apps/pod/pod-${n}`),
    hint: `host/apps/pod-${n}`,
    conjurLogin: `host/apps/pod-${n}`,
    facts: { kind: 'unix', process: { pid: 1000, uid: 1000, gid: 1000 } },
  };
}
