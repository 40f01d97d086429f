import { SingleFlight } from '../async/index.js';
import { F, describeError } from '../log/index.js';
import type { CacheDeps } from './cache-deps.js';
import type { CacheEntry } from './cache-entry.js';
import type { IssuanceError } from './issuance-error.js';
import type { TokenIssuer } from './ports.js';
import { retryDelayMs, tokenRefreshAt } from './refresh-schedule.js';
import { toIssuanceError } from './svid-issuance.js';

/**
 * Fetches and refreshes an entry's access token, one fetch in flight per entry. Refresh timers
 * run only while the entry has token subscribers. A failed refresh keeps a token that is still
 * valid; once none is, the token streams end ('unavailable' or 'denied') and the workload's
 * client retries.
 */
export class TokenRefresher {
  private readonly flights = new SingleFlight<CacheEntry, void>();

  constructor(
    private readonly tokens: TokenIssuer,
    private readonly deps: CacheDeps,
  ) {}

  /** For a subscriber that just arrived (the entry has a valid SVID): serve, refresh or fetch. */
  ensure(entry: CacheEntry): void {
    if (entry.token && this.deps.clock.now() < this.refreshAt(entry)) this.scheduleRefresh(entry);
    else void this.refresh(entry);
  }

  /** Stops refreshing: the last token subscriber has left. The token itself stays cached. */
  stop(entry: CacheEntry): void {
    entry.cancelTimer('token');
  }

  private refresh(entry: CacheEntry): Promise<void> {
    return this.flights.run(entry, () => this.fetch(entry));
  }

  private async fetch(entry: CacheEntry): Promise<void> {
    entry.cancelTimer('token');
    const svid = entry.svid;
    if (!svid) return;
    try {
      const token = await this.deps.semaphore.with(entry.signal, () => this.tokens.fetchToken(entry.identity, svid, entry.signal));
      if (entry.isDropped) return;
      entry.token = token;
      entry.tokenAttempt = 0;
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
    const fields = { [F.spiffeId]: entry.identity.spiffeId.toString(), [F.reason]: error.code, [F.cause]: describeError(error) };
    const token = entry.token;
    if (error.code === 'denied' || !token || token.expiresAt <= now) {
      this.deps.logger.warn('Access token fetch failed', fields);
      entry.failTokens(error);
      return;
    }
    if (entry.tokenSubscribers === 0) return;
    const delayMs = retryDelayMs(entry.tokenAttempt++, this.deps.options.retryBackoff, token.expiresAt, now, this.deps.random);
    this.deps.logger.warn('Access token refresh failed; serving the current one', { ...fields, retryInMs: delayMs });
    entry.setTimer('token', delayMs, () => void this.refresh(entry));
  }

  private scheduleRefresh(entry: CacheEntry): void {
    if (entry.tokenSubscribers === 0 || !entry.token) return;
    // Floored like SVID renewal, so a token that arrives already due cannot cause a fetch loop.
    const inMs = Math.max(this.refreshAt(entry) - this.deps.clock.now(), this.deps.options.retryBackoff.initialMs);
    entry.setTimer('token', inMs, () => void this.refresh(entry));
  }

  private refreshAt(entry: CacheEntry): number {
    return entry.token ? tokenRefreshAt(entry.token, this.deps.options.tokenRefreshBeforeExpiryMs) : 0;
  }
}
