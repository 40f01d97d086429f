import type { BackoffOptions } from '../async/index.js';
import type { RenewalOptions } from './refresh-schedule.js';

export interface SvidCacheOptions extends RenewalOptions {
  /** At most this many issuances and token fetches run at once (Conjur calls). */
  maxConcurrentIssuances: number;
  /** Refresh a token this long before it expires (Conjur's own client: 6 min into 8). */
  tokenRefreshBeforeExpiryMs: number;
  /** Retries after an 'unavailable' or 'confirm-failed' failure while a valid credential is held. */
  retryBackoff: BackoffOptions;
  /** An identity nobody has subscribed to for this long is dropped with its timers. */
  idleTimeoutMs: number;
}

export const DEFAULT_SVID_CACHE_OPTIONS: Readonly<SvidCacheOptions> = Object.freeze({
  renewAtFraction: 0.5,
  renewJitterFraction: 0.1,
  maxConcurrentIssuances: 8,
  tokenRefreshBeforeExpiryMs: 2 * 60 * 1000,
  retryBackoff: { initialMs: 1000, maxMs: 30_000 },
  idleTimeoutMs: 15 * 60 * 1000,
});
