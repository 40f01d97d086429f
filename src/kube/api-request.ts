import { ApiException, Observable } from '@kubernetes/client-node';
import type { ConfigurationOptions, ObservableMiddleware } from '@kubernetes/client-node';
import type { Clock } from '../async/index.js';
import { KubeError } from './kube-error.js';

/**
 * Runs one client-node API call with a deadline: `call` receives the per-call options that carry
 * an AbortSignal, which fires after `timeoutMs` or when `signal` aborts. Failures become
 * KubeError 'unavailable' naming what was asked and why; a 404 is returned as undefined.
 */
export async function callApi<T>(
  what: string,
  call: (options: ConfigurationOptions) => Promise<T>,
  context: { signal: AbortSignal; timeoutMs: number; clock: Clock },
): Promise<T | undefined> {
  const controller = new AbortController();
  let timedOut = false;
  const cancelTimer = context.clock.setTimer(() => {
    timedOut = true;
    controller.abort();
  }, context.timeoutMs);
  const onAbort = () => controller.abort();
  context.signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (context.signal.aborted) throw context.signal.reason;
    return await call(withSignal(controller.signal));
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return undefined;
    if (context.signal.aborted) throw context.signal.reason;
    throw toKubeError(what, error, timedOut ? context.timeoutMs : undefined);
  } finally {
    cancelTimer();
    context.signal.removeEventListener('abort', onAbort);
  }
}

export function toKubeError(what: string, error: unknown, timedOutAfterMs?: number): KubeError {
  if (timedOutAfterMs !== undefined) return new KubeError('unavailable', `api server request for ${what} timed out after ${timedOutAfterMs} ms`, { cause: error });
  const status = error instanceof ApiException ? error.code : statusCodeOf(error);
  if (status !== undefined) return new KubeError('unavailable', `api server returned ${status} for ${what}`, { cause: error });
  const reason = error instanceof Error ? error.message : String(error);
  return new KubeError('unavailable', `api server request for ${what} failed: ${reason}`, { cause: error });
}

function statusCodeOf(error: unknown): number | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { statusCode?: unknown }).statusCode : undefined;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Per-call options that put `signal` on the request (client-node 1.4's object-style API runs
 * observable middleware before sending; `append` keeps the configured auth middleware first).
 * A test checks that the deadline really aborts the request.
 */
function withSignal(signal: AbortSignal): ConfigurationOptions {
  const middleware: ObservableMiddleware = {
    pre: (request) => {
      request.setSignal(signal);
      return new Observable(Promise.resolve(request));
    },
    post: (response) => new Observable(Promise.resolve(response)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}
