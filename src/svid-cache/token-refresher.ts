import { SingleFlight } from '../async/index.js';
import { F, describeError } from '../log/index.js';
import type { CacheDeps } from './cache-deps.js';
import type { CacheEntry } from './cache-entry.js';
import type { IssuanceError } from './issuance-error.js';
import type { TokenIssuer } from './ports.js';
import { tokenRefreshAt } from './refresh-schedule.js';
import { toIssuanceError } from './svid-issuance.js';

/**
 * Fetches and refreshes an entry's access token, one fetch in flight per entry. Refresh timers
 * run only while the entry has token subscribers. A failure is recorded in the entry's token
 * failure state: a token that is still valid keeps being served (a refusal never takes it away)
 * and the refresh is retried on the backoff; once none is valid, the token streams end with the
 * failure, and callers get it at once until the next attempt is due.
 */
export class TokenRefresher {
  private readonly flights = new SingleFlight<CacheEntry, void>();

  constructor(
    private readonly tokens: TokenIssuer,
    private readonly deps: CacheDeps,
  ) {}

  /**
   * For a subscriber that just arrived (the entry has a valid SVID): serve, refresh or fetch; or
   * the failure to answer with while the backoff runs and no valid token is held.
   */
  ensure(entry: CacheEntry): IssuanceError | undefined {
    const now = this.deps.clock.now();
    const token = entry.token;
    if (token && token.expiresAt > now) {
      if (entry.failures.token.isFailing) {
        if (!entry.hasTimer('token') && !this.flights.has(entry)) this.scheduleRetry(entry, token.expiresAt);
      } else if (now < this.refreshAt(entry)) this.scheduleRefresh(entry);
      else void this.refresh(entry);
      return undefined;
    }
    const blocked = entry.failures.token.blockedError(now);
    if (blocked) {
      entry.failures.token.wanted = true;
      return blocked;
    }
    void this.refresh(entry);
    return undefined;
  }

  /**
   * Stops refreshing: the last token subscriber has left. The token itself stays cached, and so
   * does a pending retry after a failure that left no token (it runs only if someone asks again).
   */
  stop(entry: CacheEntry): void {
    if (entry.token || !entry.failures.token.isFailing) entry.cancelTimer('token');
  }

  private refresh(entry: CacheEntry): Promise<void> {
    return this.flights.run(entry, () => this.fetch(entry));
  }

  private async fetch(entry: CacheEntry): Promise<void> {
    entry.cancelTimer('token');
    const svid = entry.svid;
    if (!svid) return;
    try {
      const token = await this.tokens.fetchToken(entry.identity, svid, entry.signal);
      if (entry.isDropped) return;
      entry.token = token;
      entry.failures.token.clear();
      entry.tokens.set(token);
      this.scheduleRefresh(entry);
      this.deps.logger.debug('Fetched access token', { [F.spiffeId]: svid.id.toString(), [F.ttlMs]: token.expiresAt - this.deps.clock.now() });
    } catch (error) {
      if (entry.isDropped) return;
      this.onFailed(entry, toIssuanceError(error));
    }
  }

  private onFailed(entry: CacheEntry, error: IssuanceError): void {
    const now = this.deps.clock.now();
    const failures = entry.failures.token;
    const told = failures.record(error, now, this.deps.random);
    const fields = { [F.spiffeId]: entry.identity.spiffeId.toString(), [F.reason]: told.code, [F.status]: error.status, [F.cause]: describeError(error), failures: failures.count };
    const token = entry.token;
    if (token && token.expiresAt > now) {
      this.deps.logger.warn('Access token refresh failed; serving the current one', { ...fields, [F.retryInMs]: failures.retryAt - now });
      this.scheduleRetry(entry, token.expiresAt);
      return;
    }
    this.deps.logger.warn('Access token fetch failed', { ...fields, [F.retryInMs]: failures.retryAt - now });
    entry.failTokens(told);
    // As for SVIDs: the next attempt is made when due only if a workload still wants a token.
    entry.setTimer('token', failures.retryAt - now, () => {
      if (failures.wanted || entry.tokenSubscribers > 0) void this.refresh(entry);
    });
  }

  /** The next attempt on the backoff, but no later than the held token's expiry (then its streams end). */
  private scheduleRetry(entry: CacheEntry, heldUntil: number): void {
    if (entry.tokenSubscribers === 0) return;
    const now = this.deps.clock.now();
    entry.setTimer('token', Math.max(0, Math.min(entry.failures.token.retryAt, heldUntil) - now), () => void this.refresh(entry));
  }

  private scheduleRefresh(entry: CacheEntry): void {
    if (entry.tokenSubscribers === 0 || !entry.token) return;
    // Floored like SVID renewal, so a token that arrives already due cannot cause a fetch loop.
    const inMs = Math.max(this.refreshAt(entry) - this.deps.clock.now(), this.deps.options.failureBackoff.initialMs);
    entry.setTimer('token', inMs, () => void this.refresh(entry));
  }

  private refreshAt(entry: CacheEntry): number {
    return entry.token ? tokenRefreshAt(entry.token, this.deps.options.tokenRefreshBeforeExpiryMs) : 0;
  }
}
