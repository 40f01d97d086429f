import type { Clock } from '../async/index.js';

export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** True when the timeout (not a source signal) aborted it. */
  timedOut(): boolean;
  /** Removes the listeners on the sources and cancels the timer; call it when the wait is over. */
  dispose(): void;
}

/**
 * A signal that aborts with the first of `sources`, or after `timeoutMs` of `clock` if given.
 * Used instead of AbortSignal.any/timeout because the sources here (the agent's lifetime signal)
 * live for days: explicit listeners that are always removed cannot pile up on them, and the
 * timeout follows the injected Clock.
 */
export function linkedSignal(sources: readonly AbortSignal[], timeout?: { clock: Clock; timeoutMs: number }): LinkedSignal {
  const controller = new AbortController();
  let expired = false;
  const onAbort = (event: Event) => controller.abort((event.target as AbortSignal).reason);
  const aborted = sources.find((s) => s.aborted);
  if (aborted) controller.abort(aborted.reason);
  for (const source of sources) source.addEventListener('abort', onAbort, { once: true });
  const cancelTimer = timeout
    ? timeout.clock.setTimer(() => {
        expired = true;
        controller.abort(new Error(`timed out after ${timeout.timeoutMs} ms`));
      }, timeout.timeoutMs)
    : () => {};
  return {
    signal: controller.signal,
    timedOut: () => expired,
    dispose() {
      cancelTimer();
      for (const source of sources) source.removeEventListener('abort', onAbort);
    },
  };
}
