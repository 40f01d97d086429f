import type { KubeConnection, KubeLookup } from './kube-lookup.js';
import type { ConjurState } from './state.js';
import type { TokenSigner } from './token.js';

// What the request handlers share: the Conjur state, the account's token signer, the way to
// reach Kubernetes, the clock and the behaviour knobs tests turn (all read per request).

/** How the next injections misbehave, for the agent's security tests. */
export type InjectionMode = 'normal' | 'never' | 'wrong-key' | 'wrong-san' | 'wrong-cn' | 'other-ca' | 'expired';

export interface InjectionKnobs {
  /** > 0: answer 202 first and exec this many (real) ms later, so the file appears after the 202. */
  delayMs: number;
  mode: InjectionMode;
}

export interface ConjurContext {
  readonly state: ConjurState;
  readonly signers: readonly TokenSigner[];
  readonly kubeConnection: KubeConnection;
  /** A fresh set of Kubernetes clients, as Conjur builds per request. */
  kube(): KubeLookup;
  now(): number;
  readonly injection: InjectionKnobs;
  readonly tokenTtlSeconds: () => number;
  readonly execTimeoutMs: () => number;
  /** Test mode: accept X-SSL-Client-Certificate when the TLS connection carries no client cert. */
  readonly trustClientCertHeader: boolean;
  /** A CA with the same subject as the real one but another key ('other-ca' mode). */
  otherCa(): Promise<{ certPem: string; keyPem: string }>;
  /** Conjur's server log: one line per denial (CONJ code + message), for test diagnostics. */
  log(line: string): void;
  /** Keeps track of work that outlives the request (delayed injections), so close() can wait. */
  background(task: Promise<void>): void;
  /** Aborted when the double closes: pending delayed injections are dropped. */
  readonly closing: AbortSignal;
}

export type ConjurRoute = 'inject' | 'authenticate' | 'secrets';

/** failNext's queue: each entry answers `remaining` requests to its route (Infinity allowed). */
export class FailureQueue {
  private readonly entries: { route: ConjurRoute; status: number; remaining: number }[] = [];

  push(route: ConjurRoute, status: number, times: number): void {
    this.entries.push({ route, status, remaining: times });
  }

  /** The status to answer this request with, if a failure is queued for its route. */
  take(route: ConjurRoute): number | undefined {
    const next = this.entries.find((f) => f.route === route);
    if (!next) return undefined;
    if (--next.remaining <= 0) this.entries.splice(this.entries.indexOf(next), 1);
    return next.status;
  }

  clear(): void {
    this.entries.splice(0);
  }
}
