import { formatEndpointAddress, WorkloadApiError } from '../client/index.js';
import type { EndpointAddress } from '../client/index.js';
import { CliError } from './cli-error.js';
import { formatDuration } from './duration.js';

/** One failure of a workload-side command as a one-line CliError that names the socket. */
export function toCliError(error: unknown, address: EndpointAddress, timing?: { timedOut: boolean; timeoutMs: number }): CliError {
  if (error instanceof CliError) return error;
  const where = formatEndpointAddress(address);
  if (timing?.timedOut) {
    return new CliError('failed', `no answer from the Workload API at ${where} within ${formatDuration(timing.timeoutMs)}`, { cause: error });
  }
  if (error instanceof WorkloadApiError) return new CliError('failed', error.message, { cause: error });
  return new CliError('failed', `${where}: ${(error as Error).message ?? String(error)}`, { cause: error });
}
