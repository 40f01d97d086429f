import type { Attestor } from '../../src/workload-api/index.js';
import type { Peer, PeerCredentials } from '../../src/peer/index.js';
import type { WorkloadFacts } from '../../src/attestation/index.js';

/**
 * An Attestor that trusts the kernel credentials it is given: UnixFacts with the peer's pid, uid
 * and gid. Knobs: `failWith` (every call throws), `pause()` (calls wait until resumed, so a test
 * can act while a caller is being attested; `abandoned` counts those whose call was cancelled
meanwhile). Records every peer it was asked about.
 */
export class FakeAttestor implements Attestor {
  readonly attested: PeerCredentials[] = [];
  /** Paused attestations whose call was cancelled (its signal aborted) before they resumed. */
  abandoned = 0;
  private failure: Error | undefined;
  private paused: { promise: Promise<void>; resume: () => void } | undefined;
  private readonly arrivalWaiters = new Set<() => void>();

  async attest(peer: Peer, signal: AbortSignal): Promise<WorkloadFacts> {
    this.attested.push(peer.credentials);
    for (const wake of [...this.arrivalWaiters]) wake();
    if (this.paused) {
      await abortable(this.paused.promise, signal).catch((error: unknown) => {
        this.abandoned += 1;
        throw error;
      });
    }
    if (this.failure) throw this.failure;
    return { kind: 'unix', process: { ...peer.credentials } };
  }

  failWith(error: Error | undefined): void {
    this.failure = error;
  }

  /** Holds every attestation until the returned function is called. */
  pause(): () => void {
    let resume = () => {};
    const promise = new Promise<void>((resolve) => (resume = resolve));
    this.paused = { promise, resume };
    return () => {
      this.paused = undefined;
      resume();
    };
  }

  /** Resolves once a peer with this pid has been asked about. */
  async attestedPid(pid: number): Promise<void> {
    while (!this.attested.some((c) => c.pid === pid)) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.arrivalWaiters.delete(wake);
          resolve();
        };
        this.arrivalWaiters.add(wake);
      });
    }
  }
}

function abortable(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
