import { Option } from 'commander';
import { endpointFromEnvironment, EndpointAddressError, toEndpointAddress } from '../client/index.js';
import type { EndpointAddress } from '../client/index.js';
import { CliError } from './cli-error.js';

/** `--socket` for commands that talk to the agent; absent, SPIFFE_ENDPOINT_SOCKET is used. */
export function socketOption(): Option {
  return new Option(
    '--socket <socket>',
    'Workload API socket: unix:///path, tcp://IP:port or an absolute path (default: $SPIFFE_ENDPOINT_SOCKET)',
  );
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
