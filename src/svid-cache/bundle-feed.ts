import { backoffDelayMs, sleep } from '../async/index.js';
import { F, describeError } from '../log/index.js';
import type { BundleSet } from '../spiffe/index.js';
import type { CacheDeps } from './cache-deps.js';
import type { BundleSource } from './ports.js';

/**
 * Follows the BundleSource for the cache's lifetime. A source that ends or throws is
 * re-subscribed after a backoff; the last bundle set stays in use meanwhile.
 */
export class BundleFeed {
  private controller: AbortController | undefined;

  constructor(
    private readonly source: BundleSource,
    private readonly deps: CacheDeps,
    private readonly onBundles: (bundles: BundleSet) => void,
  ) {}

  /** Starts following the source; later calls do nothing. */
  start(): void {
    if (this.controller) return;
    this.controller = new AbortController();
    void this.follow(this.controller.signal);
  }

  stop(): void {
    this.controller?.abort();
  }

  private async follow(signal: AbortSignal): Promise<void> {
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        for await (const bundles of this.source.subscribe(signal)) {
          attempt = 0;
          this.onBundles(bundles);
        }
      } catch (error) {
        if (signal.aborted) return;
        this.deps.logger.warn('Bundle source failed', { [F.cause]: describeError(error) });
      }
      await sleep(backoffDelayMs(attempt, this.deps.options.retryBackoff, this.deps.random), signal, this.deps.clock).catch(() => undefined);
    }
  }
}
