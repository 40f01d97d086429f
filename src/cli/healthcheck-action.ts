import { formatEndpointAddress, probeHealth } from '../client/index.js';
import { CliError } from './cli-error.js';
import { resolveSocket } from './resolve-socket.js';
import type { Runtime } from './runtime.js';
import { toCliError } from './to-cli-error.js';

/**
 * What `healthcheck` does once parsed; loaded only when it runs. One HTTP/2 request (probeHealth),
 * not a grpc-js client: in the image this command loads no gRPC library at all, and it runs in
 * exec probes on every node. It imports nothing from runtime.ts, whose clients bring grpc-js.
 */
export async function checkHealth(runtime: Runtime, options: { socket?: string; timeout: number }): Promise<void> {
  const address = resolveSocket(options.socket, runtime.env);
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), options.timeout);
  let status: string;
  try {
    status = await probeHealth(address, AbortSignal.any([runtime.signal, timeout.signal]));
  } catch (error) {
    throw toCliError(error, address, { timedOut: timeout.signal.aborted, timeoutMs: options.timeout });
  } finally {
    clearTimeout(timer);
  }
  if (status !== 'SERVING') throw new CliError('unhealthy', `agent at ${formatEndpointAddress(address)} is not healthy: ${status}`);
  runtime.out(`agent at ${formatEndpointAddress(address)} is healthy (SERVING)\n`);
}
