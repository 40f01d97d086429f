import { systemClock } from '../async/index.js';
import type { EndpointAddress } from '../client/index.js';
import { toCliError } from './to-cli-error.js';

// What the workload-side commands (api, healthcheck, helper) share when they run. Command
// definitions import only the Runtime type from here: this module loads part of the client
// library, so it is imported by an action, never while the command line is parsed.

/** What every command's action gets: output, the environment, and the stop signal. */
export interface Runtime {
  out(text: string): void;
  err(text: string): void;
  readonly env: NodeJS.ProcessEnv | undefined;
  readonly signal: AbortSignal;
}

/**
 * Runs one round trip, bounded by `timeoutMs` and the runtime's signal, and turns every failure
 * into a CliError whose message names the socket.
 */
export async function withDeadline<T>(runtime: Runtime, address: EndpointAddress, timeoutMs: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const timeout = new AbortController();
  const cancelTimer = systemClock.setTimer(() => timeout.abort(), timeoutMs);
  try {
    return await call(AbortSignal.any([runtime.signal, timeout.signal]));
  } catch (error) {
    throw toCliError(error, address, { timedOut: timeout.signal.aborted, timeoutMs });
  } finally {
    cancelTimer();
  }
}

/**
 * A stopwatch for "received after" lines: the milliseconds since it was started. process.hrtime,
 * not performance.now(): the `performance` global loads perf_hooks, about 1 ms of `api fetch`.
 */
export function stopwatch(): () => number {
  const start = process.hrtime.bigint();
  return () => Number(process.hrtime.bigint() - start) / 1e6;
}
