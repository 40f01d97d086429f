import { LatestValue } from '../async/index.js';
import type { Clock } from '../async/index.js';
import type { WorkloadIdentity } from '../identity/index.js';
import type { X509Context, X509Svid } from '../spiffe/index.js';
import type { AccessToken } from './access-token.js';
import { FailureState } from './failure-state.js';
import type { FailurePolicy } from './failure-state.js';

/** The timers an entry may hold; each name holds at most one timer. */
export type EntryTimer = 'x509' | 'token' | 'idle';

/**
 * Everything cached for one identity key: the current SVID and token, the values subscribers
 * watch, the failure record of each credential (shared by all the identity's streams, so a
 * reconnecting workload cannot start a new Conjur request while the backoff runs), and the
 * entry's timers. Dropping an entry aborts its in-flight calls, cancels its timers and ends its
 * streams at once, so nothing of a lost pod survives it.
 */
export class CacheEntry {
  private readonly controller = new AbortController();
  private readonly timers = new Map<EntryTimer, () => void>();
  svid: X509Svid | undefined;
  /** Replaced after an issuance failure ends the X.509 streams, so later subscribers can try again. */
  svids = new LatestValue<X509Svid>();
  contexts = new LatestValue<X509Context>();
  token: AccessToken | undefined;
  /** Replaced after a token failure ends its streams, so later subscribers can try again. */
  tokens = new LatestValue<AccessToken>();
  x509Subscribers = 0;
  tokenSubscribers = 0;
  readonly failures: { readonly x509: FailureState; readonly token: FailureState };

  constructor(
    readonly identity: WorkloadIdentity,
    private readonly clock: Clock,
    policy: FailurePolicy,
  ) {
    this.failures = { x509: new FailureState(policy, 'x509-svid'), token: new FailureState(policy, 'access token') };
  }

  get key(): string {
    return this.identity.key;
  }

  /** Aborted when the entry is dropped; passed to every issuer call made for it. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get isDropped(): boolean {
    return this.controller.signal.aborted;
  }

  get subscribers(): number {
    return this.x509Subscribers + this.tokenSubscribers;
  }

  setTimer(name: EntryTimer, ms: number, fn: () => void): void {
    this.cancelTimer(name);
    const cancel = this.clock.setTimer(() => {
      this.timers.delete(name);
      fn();
    }, ms);
    this.timers.set(name, cancel);
  }

  cancelTimer(name: EntryTimer): void {
    this.timers.get(name)?.();
    this.timers.delete(name);
  }

  hasTimer(name: EntryTimer): boolean {
    return this.timers.has(name);
  }

  /** Ends every stream of this entry with `error` and stops all its work. */
  drop(error: Error): void {
    this.controller.abort(error);
    for (const name of [...this.timers.keys()]) this.cancelTimer(name);
    this.svids.fail(error);
    this.contexts.fail(error);
    this.tokens.fail(error);
  }

  /** Ends the X.509 streams and those waiting for an SVID (no valid SVID is held); later subscribers start fresh. */
  failSvids(error: Error): void {
    this.svid = undefined;
    this.svids.fail(error);
    this.contexts.fail(error);
    this.svids = new LatestValue<X509Svid>();
    this.contexts = new LatestValue<X509Context>();
  }

  /** Ends only the token streams (the SVID stays), and starts a fresh value for later subscribers. */
  failTokens(error: Error): void {
    this.cancelTimer('token');
    this.token = undefined;
    this.tokens.fail(error);
    this.tokens = new LatestValue<AccessToken>();
  }
}
