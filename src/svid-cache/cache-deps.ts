import type { Clock } from '../async/index.js';
import type { Logger } from '../log/index.js';
import type { CacheEntry } from './cache-entry.js';
import type { SvidCacheOptions } from './svid-cache-options.js';

/** What the cache's parts share: time, randomness, the log and options. */
export interface CacheDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: () => number;
  readonly options: Readonly<SvidCacheOptions>;
}

/** The cache as its parts see it: push an entry's new state out, or drop the entry. */
export interface EntryHost {
  publish(entry: CacheEntry): void;
  drop(entry: CacheEntry, error: Error): void;
}
