import { Command, Option } from 'commander';
import type { FetchOptions } from './api-actions.js';
import { parsePositiveDuration } from './duration.js';
import type { Runtime } from './runtime.js';
import { socketOption } from './socket-option.js';

// `api fetch x509|bundles|token` and `api watch`: a workload's view of the Workload API,
// modelled on SPIRE's `spire-agent api` commands. Only the command lines are here; what they do
// is in api-actions.ts, imported when one runs (it loads grpc-js, which parsing does not need).

const timeoutOption = () =>
  new Option('--timeout <duration>', 'give up after this long, e.g. 5s').default(5000, '5s').argParser(parsePositiveDuration);

const actions = () => import('./api-actions.js');

export function apiCommand(runtime: Runtime, subcommandRequired: (command: Command) => Command): Command {
  const api = subcommandRequired(new Command('api').description('Talk to the Workload API as this process (what a workload sees)'));
  const fetch = subcommandRequired(api.command('fetch').description('Fetch once and print (or write) the result'));

  fetch
    .command('x509')
    .description('Fetch this process’s X509-SVIDs and bundles (as `spire-agent api fetch x509`)')
    .addOption(socketOption())
    .option('--write <dir>', 'write svid.N.pem, svid.N.key (mode 0600) and bundle.N.pem into DIR')
    .option('--json', 'print JSON (certificates as PEM; private keys are never printed)')
    .addOption(timeoutOption())
    .action(async (options: FetchOptions) => (await actions()).fetchX509(runtime, options));

  fetch
    .command('bundles')
    .description('Fetch the X.509 bundles this process may use to verify peers')
    .addOption(socketOption())
    .option('--write <dir>', 'write bundle.<trust domain>.pem into DIR')
    .option('--json', 'print JSON (certificates as PEM)')
    .addOption(timeoutOption())
    .action(async (options: FetchOptions) => (await actions()).fetchBundles(runtime, options));

  fetch
    .command('token')
    .description('Fetch this pod’s Conjur access token and print it as Conjur issued it (JSON), for piping')
    .addOption(socketOption())
    .option('--json', 'print the token’s login, SPIFFE ID and expiry instead of the token')
    .addOption(timeoutOption())
    .action(async (options: FetchOptions) => (await actions()).fetchToken(runtime, options));

  api
    .command('watch')
    .description('Print every X.509 update (rotation, bundle change) until interrupted; reconnects on failure')
    .addOption(socketOption())
    .option('--json', 'print one JSON object per update')
    .action(async (options: { socket?: string; json?: boolean }) => (await actions()).watchX509(runtime, options));

  return api;
}
