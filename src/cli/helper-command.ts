import { Command } from 'commander';
import { CliError } from './cli-error.js';
import type { HelperOptions } from './helper-action.js';
import type { Runtime } from './runtime.js';
import { socketOption } from './socket-option.js';

/**
 * `helper`: keeps files fresh for applications that read files instead of calling the API
 * (Summon, Conjur API clients, servers configured with PEM paths). Like Conjur's authenticator
 * sidecar it rewrites the access token file (0644) on every refresh, and like spiffe-helper
 * the SVID files (key 0600) on every rotation; every write is atomic. Runs until SIGTERM.
 * What it does is in helper-action.ts, imported when it runs.
 */
export function helperCommand(runtime: Runtime): Command {
  return new Command('helper')
    .description('Keep a Conjur access token file and/or SVID files fresh until stopped (SIGTERM)')
    .addOption(socketOption())
    .option('--token-file <file>', 'where to keep the Conjur access token, e.g. /run/conjur/access-token (mode 0644)')
    .option('--svid-dir <dir>', 'where to keep svid.pem, svid_key.pem (mode 0600) and svid_bundle.pem')
    .addHelpText('after', '\nAt least one of --token-file and --svid-dir is required.')
    .action(async (options: HelperOptions) => {
      if (options.tokenFile === undefined && options.svidDir === undefined) {
        throw new CliError('usage', 'helper needs --token-file, --svid-dir or both');
      }
      await (await import('./helper-action.js')).runHelper(runtime, options);
    });
}
