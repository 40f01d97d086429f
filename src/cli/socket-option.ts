import { Option } from 'commander';

/**
 * `--socket` for commands that talk to the agent; absent, SPIFFE_ENDPOINT_SOCKET is used. Only
 * the option lives here: resolving it (runtime.ts) needs the client library, which a command
 * loads when it runs, not when the command line is parsed.
 */
export function socketOption(): Option {
  return new Option(
    '--socket <socket>',
    'Workload API socket: unix:///path, tcp://IP:port or an absolute path (default: $SPIFFE_ENDPOINT_SOCKET)',
  );
}
