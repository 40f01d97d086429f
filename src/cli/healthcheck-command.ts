import { Command, Option } from 'commander';
import { formatEndpointAddress } from '../client/index.js';
import { CliError } from './cli-error.js';
import { parsePositiveDuration } from './duration.js';
import { withClient } from './runtime.js';
import type { Runtime } from './runtime.js';
import { resolveSocket, socketOption } from './socket-option.js';

/**
 * `healthcheck`: grpc.health.v1 Check over the socket, for exec probes and scripts. Exit 0 and
 * one line when SERVING; otherwise exit 1 and one `error:` line (as SPIRE's `healthcheck`).
 */
export function healthcheckCommand(runtime: Runtime): Command {
  return new Command('healthcheck')
    .description('Check that the agent answers and is serving (grpc.health.v1); exit 0 when healthy')
    .addOption(socketOption())
    .addOption(new Option('--timeout <duration>', 'give up after this long').default(5000, '5s').argParser(parsePositiveDuration))
    .action(async (options: { socket?: string; timeout: number }) => {
      const address = resolveSocket(options.socket, runtime.env);
      const status = await withClient(runtime, address, options.timeout, (client, signal) => client.checkHealth(signal));
      if (status !== 'SERVING') throw new CliError('unhealthy', `agent at ${formatEndpointAddress(address)} is not healthy: ${status}`);
      runtime.out(`agent at ${formatEndpointAddress(address)} is healthy (SERVING)\n`);
    });
}
