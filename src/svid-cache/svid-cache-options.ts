import type { BackoffOptions } from '../async/index.js';
import type { FailurePolicy } from './failure-state.js';
import type { RenewalOptions } from './refresh-schedule.js';

export interface SvidCacheOptions extends RenewalOptions {
  /** Refresh a token this long before it expires (Conjur's own client: 6 min into 8). */
  tokenRefreshBeforeExpiryMs: number;
  /** Pacing of Conjur attempts for one identity after failures (shared by its SVID and token streams). */
  failureBackoff: FailurePolicy;
  /** Re-subscribing to the bundle source after it failed. */
  retryBackoff: BackoffOptions;
  /** An identity nobody has subscribed to for this long is dropped with its timers. */
  idleTimeoutMs: number;
}

export const DEFAULT_SVID_CACHE_OPTIONS: Readonly<SvidCacheOptions> = Object.freeze({
  renewAtFraction: 0.5,
  renewJitterFraction: 0.1,
  tokenRefreshBeforeExpiryMs: 2 * 60 * 1000,
  failureBackoff: { initialMs: 1000, maxMs: 3 * 60 * 1000, refusalsBeforeDenied: 4 },
  retryBackoff: { initialMs: 1000, maxMs: 30_000 },
  idleTimeoutMs: 15 * 60 * 1000,
});
