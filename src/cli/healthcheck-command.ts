import { Command, Option } from 'commander';
import { parsePositiveDuration } from './duration.js';
import type { Runtime } from './runtime.js';
import { socketOption } from './socket-option.js';

/**
 * `healthcheck`: grpc.health.v1 Check over the socket, for exec probes and scripts. Exit 0 and
 * one line when SERVING; otherwise exit 1 and one `error:` line (as SPIRE's `healthcheck`).
 * It runs in exec probes on every node, so nothing but its own code path is loaded.
 */
export function healthcheckCommand(runtime: Runtime): Command {
  return new Command('healthcheck')
    .description('Check that the agent answers and is serving (grpc.health.v1); exit 0 when healthy')
    .addOption(socketOption())
    .addOption(new Option('--timeout <duration>', 'give up after this long').default(5000, '5s').argParser(parsePositiveDuration))
    .action(async (options: { socket?: string; timeout: number }) => (await import('./healthcheck-action.js')).checkHealth(runtime, options));
}
