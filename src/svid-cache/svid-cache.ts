import { LatestValue } from '../async/index.js';
import type { Clock } from '../async/index.js';
import type { WorkloadIdentity } from '../identity/index.js';
import { F } from '../log/index.js';
import type { Logger } from '../log/index.js';
import { sameBundleSet } from '../spiffe/index.js';
import type { BundleSet, X509Context } from '../spiffe/index.js';
import type { AccessToken } from './access-token.js';
import { BundleFeed } from './bundle-feed.js';
import type { CacheDeps, EntryHost } from './cache-deps.js';
import { CacheEntry } from './cache-entry.js';
import { IssuanceError } from './issuance-error.js';
import type { BundleSource, TokenIssuer, X509Issuer } from './ports.js';
import { isValidAt } from './refresh-schedule.js';
import { SvidIssuance } from './svid-issuance.js';
import { DEFAULT_SVID_CACHE_OPTIONS } from './svid-cache-options.js';
import type { SvidCacheOptions } from './svid-cache-options.js';
import { TokenRefresher } from './token-refresher.js';

export interface SvidCacheParams {
  issuer: X509Issuer;
  bundles: BundleSource;
  tokens?: TokenIssuer;
  clock: Clock;
  logger: Logger;
  random?: () => number;
  options?: Partial<SvidCacheOptions>;
}

/**
 * Issued SVIDs and access tokens per identity key, shared by every caller with that key.
 * Subscribers always receive the newest X509Context (or token) first; intermediate updates may
 * be skipped; callers must not mutate what they receive. A stream ends with an IssuanceError:
 * 'evicted' or 'denied' (PermissionDenied), or 'unavailable'/'confirm-failed' when nothing valid
 * is held. After a failure, callers get it at once (with the next attempt's time) until the
 * identity's backoff allows the next Conjur request. Satisfies workload-api's SvidSubscriptions
 * and TokenSubscriptions.
 */
export class SvidCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly bundleValue = new LatestValue<BundleSet>();
  private readonly deps: CacheDeps;
  private readonly issuance: SvidIssuance;
  private readonly tokenRefresher: TokenRefresher | undefined;
  private readonly bundleFeed: BundleFeed;
  private bundleSubscribers = 0;
  private closed = false;

  constructor(params: SvidCacheParams) {
    const options = { ...DEFAULT_SVID_CACHE_OPTIONS, ...params.options };
    this.deps = {
      clock: params.clock,
      logger: params.logger.child({ [F.component]: 'svid-cache' }),
      random: params.random ?? Math.random,
      options,
    };
    const host: EntryHost = { publish: (entry) => this.publish(entry), drop: (entry, error) => this.dropEntry(entry, error) };
    this.issuance = new SvidIssuance(params.issuer, this.deps, host);
    this.tokenRefresher = params.tokens ? new TokenRefresher(params.tokens, this.deps) : undefined;
    this.bundleFeed = new BundleFeed(params.bundles, this.deps, (bundles) => this.onBundles(bundles));
  }

  async *subscribe(identity: WorkloadIdentity, signal: AbortSignal): AsyncGenerator<X509Context> {
    const entry = this.enter(identity);
    entry.x509Subscribers++;
    try {
      const blocked = this.demandSvid(entry);
      if (blocked) throw blocked;
      for await (const context of entry.contexts.subscribe(signal)) {
        // An expired SVID is never served; a re-issue is already under way (see demandSvid).
        if (isValidAt(context.svids[0], this.deps.clock.now())) yield context;
      }
    } finally {
      entry.x509Subscribers--;
      this.leave(entry);
    }
  }

  async *subscribeBundles(signal: AbortSignal): AsyncGenerator<BundleSet> {
    if (this.closed) throw closedError();
    this.bundleFeed.start();
    this.bundleSubscribers++;
    try {
      yield* this.bundleValue.subscribe(signal);
    } finally {
      this.bundleSubscribers--;
    }
  }

  async *subscribeToken(identity: WorkloadIdentity, signal: AbortSignal): AsyncGenerator<AccessToken> {
    const refresher = this.tokenRefresher;
    if (!refresher) throw new IssuanceError('denied', 'access tokens are not served by this agent');
    const entry = this.enter(identity);
    entry.tokenSubscribers++;
    try {
      const blocked = this.demandSvid(entry);
      if (blocked) throw blocked;
      for await (const svid of entry.svids.subscribe(signal)) if (isValidAt(svid, this.deps.clock.now())) break;
      if (signal.aborted) return;
      const tokenBlocked = refresher.ensure(entry);
      if (tokenBlocked) throw tokenBlocked;
      for await (const token of entry.tokens.subscribe(signal)) {
        if (token.expiresAt > this.deps.clock.now()) yield token;
      }
    } finally {
      entry.tokenSubscribers--;
      if (entry.tokenSubscribers === 0) refresher.stop(entry);
      this.leave(entry);
    }
  }

  /** Drops key, certificate and token at once; the key's streams end with 'evicted'. */
  evict(key: string, reason: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.deps.logger.info('Evicted workload credentials', { [F.spiffeId]: entry.identity.spiffeId.toString(), [F.reason]: reason });
    this.dropEntry(entry, new IssuanceError('evicted', `workload credentials were evicted: ${reason}`));
    return true;
  }

  /** Cancels every timer and in-flight call and ends every stream ('unavailable'). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.bundleFeed.stop();
    const error = closedError();
    for (const entry of [...this.entries.values()]) this.dropEntry(entry, error);
    this.bundleValue.fail(error);
  }

  /** Identities held (for metrics and leak checks). */
  get size(): number {
    return this.entries.size;
  }

  /** Open X.509, token and bundle streams. */
  get subscriberCount(): number {
    let count = this.bundleSubscribers;
    for (const entry of this.entries.values()) count += entry.subscribers;
    return count;
  }

  /** The earliest notAfter of the SVIDs held: how far ahead the node is covered. */
  get earliestNotAfter(): Date | undefined {
    let earliest: Date | undefined;
    for (const { svid } of this.entries.values()) if (svid && (!earliest || svid.notAfter < earliest)) earliest = svid.notAfter;
    return earliest;
  }

  /**
   * The entry for this key. Callers resolve their identity on every call, so a pod whose Conjur
   * login changed (its conjur.org/authn-login annotation) arrives with a new one: the entry
   * issued for the old login is dropped (its streams end 'evicted') and a new one starts.
   */
  private enter(identity: WorkloadIdentity): CacheEntry {
    if (this.closed) throw closedError();
    let entry = this.entries.get(identity.key);
    if (entry && !sameIdentity(entry.identity, identity)) {
      this.deps.logger.info('Replaced workload credentials: identity changed', {
        [F.spiffeId]: identity.spiffeId.toString(),
        [F.hostId]: identity.conjurLogin,
        [F.reason]: `conjur login changed from ${entry.identity.conjurLogin ?? 'none'}`,
      });
      this.dropEntry(entry, new IssuanceError('evicted', 'the workload identity changed (conjur login)'));
      entry = undefined;
    }
    if (!entry) {
      entry = new CacheEntry(identity, this.deps.clock, this.deps.options.failureBackoff);
      this.entries.set(identity.key, entry);
    }
    entry.cancelTimer('idle');
    this.bundleFeed.start();
    return entry;
  }

  /** Without a valid SVID: the failure to answer with while the backoff runs, else issuance starts. */
  private demandSvid(entry: CacheEntry): IssuanceError | undefined {
    return isValidAt(entry.svid, this.deps.clock.now()) ? undefined : this.issuance.demand(entry);
  }

  /** The last subscriber gone: keep the SVID (renewals go on) until the idle timeout drops it. */
  private leave(entry: CacheEntry): void {
    if (entry.subscribers > 0 || entry.isDropped) return;
    entry.setTimer('idle', this.deps.options.idleTimeoutMs, () => {
      this.deps.logger.debug('Dropped idle workload credentials', { [F.spiffeId]: entry.identity.spiffeId.toString() });
      this.dropEntry(entry, new IssuanceError('unavailable', 'workload credentials were dropped after being idle'));
    });
  }

  /** A new SVID: to token waiters, and (once bundles are known) as a context to X.509 streams. */
  private publish(entry: CacheEntry): void {
    if (!entry.svid) return;
    entry.svids.set(entry.svid);
    this.publishContext(entry);
  }

  private publishContext(entry: CacheEntry): void {
    const bundles = this.bundleValue.get();
    if (entry.svid && bundles) entry.contexts.set({ svids: [entry.svid], bundles });
  }

  private onBundles(bundles: BundleSet): void {
    const current = this.bundleValue.get();
    if (current && sameBundleSet(current, bundles)) return;
    this.deps.logger.info('Trust bundles changed', { trustDomains: [...bundles.keys()] });
    this.bundleValue.set(bundles);
    for (const entry of this.entries.values()) this.publishContext(entry);
  }

  private dropEntry(entry: CacheEntry, error: Error): void {
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    entry.drop(error);
  }
}

function sameIdentity(a: WorkloadIdentity, b: WorkloadIdentity): boolean {
  return a.spiffeId.equals(b.spiffeId) && a.conjurLogin === b.conjurLogin && a.hint === b.hint;
}

function closedError(): IssuanceError {
  return new IssuanceError('unavailable', 'svid cache is closed');
}
