import { formatEndpointAddress } from '../client/index.js';
import { CliError } from './cli-error.js';
import { resolveSocket, withClient } from './runtime.js';
import type { Runtime } from './runtime.js';

/** What `healthcheck` does once parsed; loaded only when it runs (it brings in grpc-js). */
export async function checkHealth(runtime: Runtime, options: { socket?: string; timeout: number }): Promise<void> {
  const address = resolveSocket(options.socket, runtime.env);
  const status = await withClient(runtime, address, options.timeout, (client, signal) => client.checkHealth(signal));
  if (status !== 'SERVING') throw new CliError('unhealthy', `agent at ${formatEndpointAddress(address)} is not healthy: ${status}`);
  runtime.out(`agent at ${formatEndpointAddress(address)} is healthy (SERVING)\n`);
}
