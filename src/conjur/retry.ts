import { backoffDelayMs, sleep } from '../async/index.js';
import type { Clock } from '../async/index.js';
import type { RetryOptions } from './conjur-options.js';
import { ConjurError } from './conjur-error.js';

export interface RetryContext {
  readonly retry: RetryOptions;
  readonly clock: Clock;
  readonly random?: () => number;
  /** Called before each backoff sleep (for a debug log line). */
  readonly onRetry?: (error: ConjurError, attempt: number, delayMs: number) => void;
}

/**
 * Runs `attempt` until it succeeds, fails with something other than a connection-level error,
 * or the attempts are spent. Only a request that never reached Conjur's application is retried
 * here: an answer (401, 500, ...) or a timeout is the caller's to pace, so retries never stack.
 */
export async function withRetries<T>(attempt: () => Promise<T>, ctx: RetryContext, signal: AbortSignal): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ConjurError) || !error.connectionLevel || n + 1 >= ctx.retry.maxAttempts) throw error;
      const delayMs = backoffDelayMs(n, { initialMs: ctx.retry.initialMs, maxMs: ctx.retry.maxMs }, ctx.random);
      ctx.onRetry?.(error, n + 1, delayMs);
      await sleep(delayMs, signal, ctx.clock);
    }
  }
}
