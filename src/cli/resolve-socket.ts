import { endpointFromEnvironment, EndpointAddressError, toEndpointAddress } from '../client/index.js';
import type { EndpointAddress } from '../client/index.js';
import { CliError } from './cli-error.js';

/** The socket a workload-side command talks to: --socket, else SPIFFE_ENDPOINT_SOCKET. */
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
