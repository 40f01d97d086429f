import { systemClock } from '../async/index.js';
import { endpointFromEnvironment, EndpointAddressError, formatEndpointAddress, toEndpointAddress, WorkloadApiClient, WorkloadApiError } from '../client/index.js';
import type { EndpointAddress } from '../client/index.js';
import { CliError } from './cli-error.js';
import { formatDuration } from './duration.js';

// What the workload-side commands (api, healthcheck, helper) share when they run. Command
// definitions import only the Runtime type from here: this module loads the client library
// (grpc-js), so it is imported by an action, never while the command line is parsed.

/** What every command's action gets: output, the environment, and the stop signal. */
export interface Runtime {
  out(text: string): void;
  err(text: string): void;
  readonly env: NodeJS.ProcessEnv | undefined;
  readonly signal: AbortSignal;
}

/**
 * Runs one round trip on a fresh client, bounded by `timeoutMs` and the runtime's signal, and
 * turns every failure into a CliError whose message names the socket.
 */
export async function withClient<T>(
  runtime: Runtime,
  address: EndpointAddress,
  timeoutMs: number,
  call: (client: WorkloadApiClient, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timeout = new AbortController();
  const cancelTimer = systemClock.setTimer(() => timeout.abort(), timeoutMs);
  const signal = AbortSignal.any([runtime.signal, timeout.signal]);
  const client = new WorkloadApiClient({ socket: address });
  try {
    return await call(client, signal);
  } catch (error) {
    throw toCliError(error, address, { timedOut: timeout.signal.aborted, timeoutMs });
  } finally {
    cancelTimer();
    client.close();
  }
}

export function toCliError(error: unknown, address: EndpointAddress, timing?: { timedOut: boolean; timeoutMs: number }): CliError {
  if (error instanceof CliError) return error;
  const where = formatEndpointAddress(address);
  if (timing?.timedOut) {
    return new CliError('failed', `no answer from the Workload API at ${where} within ${formatDuration(timing.timeoutMs)}`, { cause: error });
  }
  if (error instanceof WorkloadApiError) return new CliError('failed', error.message, { cause: error });
  return new CliError('failed', `${where}: ${(error as Error).message ?? String(error)}`, { cause: error });
}

/** Milliseconds since `start` (a performance.now() reading), for "received after" lines. */
export function elapsedSince(start: number): number {
  return performance.now() - start;
}

export function resolveSocket(option: string | undefined, env: NodeJS.ProcessEnv | undefined): EndpointAddress {
  if (option !== undefined) {
    try {
      return toEndpointAddress(option);
    } catch (error) {
      throw new CliError('usage', `invalid --socket: ${(error as Error).message}`, { cause: error });
    }
  }
  let fromEnv: EndpointAddress | undefined;
  try {
    fromEnv = endpointFromEnvironment(env);
  } catch (error) {
    if (error instanceof EndpointAddressError) throw new CliError('usage', error.message, { cause: error });
    throw error;
  }
  if (!fromEnv) throw new CliError('usage', 'no Workload API socket: pass --socket or set SPIFFE_ENDPOINT_SOCKET');
  return fromEnv;
}
