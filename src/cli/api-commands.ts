import { Command, Option } from 'commander';
import { systemClock } from '../async/index.js';
import { X509Source } from '../client/index.js';
import type { X509Context } from '../client/index.js';
import { parsePositiveDuration } from './duration.js';
import { elapsedSince, toCliError, withClient } from './runtime.js';
import type { Runtime } from './runtime.js';
import { resolveSocket, socketOption } from './socket-option.js';
import { writeBundleFiles, writeSpireLayout } from './svid-files.js';
import { bundlesJson, formatBundles, formatX509Context, tokenJson, x509ContextJson } from './x509-summary.js';

// `api fetch x509|bundles|token` and `api watch`: a workload's view of the Workload API,
// modelled on SPIRE's `spire-agent api` commands.

interface FetchOptions {
  socket?: string;
  write?: string;
  json?: boolean;
  timeout: number;
}

const timeoutOption = () =>
  new Option('--timeout <duration>', 'give up after this long, e.g. 5s').default(5000, '5s').argParser(parsePositiveDuration);

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
    .action(async (options: FetchOptions) => {
      const address = resolveSocket(options.socket, runtime.env);
      const start = performance.now();
      const context = await withClient(runtime, address, options.timeout, (client, signal) => client.fetchX509Context(signal));
      const elapsedMs = elapsedSince(start);
      runtime.out(options.json ? `${JSON.stringify(x509ContextJson(context), null, 2)}\n` : formatX509Context(context, elapsedMs));
      if (options.write !== undefined) {
        const written = await writeSpireLayout(options.write, context).catch((error: unknown) => Promise.reject(toCliError(error, address)));
        if (!options.json) for (const path of written) runtime.out(`Wrote ${path}\n`);
      }
    });

  fetch
    .command('bundles')
    .description('Fetch the X.509 bundles this process may use to verify peers')
    .addOption(socketOption())
    .option('--write <dir>', 'write bundle.<trust domain>.pem into DIR')
    .option('--json', 'print JSON (certificates as PEM)')
    .addOption(timeoutOption())
    .action(async (options: FetchOptions) => {
      const address = resolveSocket(options.socket, runtime.env);
      const start = performance.now();
      const bundles = await withClient(runtime, address, options.timeout, (client, signal) => client.fetchX509Bundles(signal));
      runtime.out(options.json ? `${JSON.stringify(bundlesJson(bundles), null, 2)}\n` : formatBundles(bundles, elapsedSince(start)));
      if (options.write !== undefined) {
        const written = await writeBundleFiles(options.write, bundles).catch((error: unknown) => Promise.reject(toCliError(error, address)));
        if (!options.json) for (const path of written) runtime.out(`Wrote ${path}\n`);
      }
    });

  fetch
    .command('token')
    .description('Fetch this pod’s Conjur access token and print it as Conjur issued it (JSON), for piping')
    .addOption(socketOption())
    .option('--json', 'print the token’s login, SPIFFE ID and expiry instead of the token')
    .addOption(timeoutOption())
    .action(async (options: FetchOptions) => {
      const address = resolveSocket(options.socket, runtime.env);
      const token = await withClient(runtime, address, options.timeout, (client, signal) => client.fetchConjurToken(signal));
      runtime.out(options.json ? `${JSON.stringify(tokenJson(token, systemClock.now()), null, 2)}\n` : token.raw.toString());
    });

  api
    .command('watch')
    .description('Print every X.509 update (rotation, bundle change) until interrupted; reconnects on failure')
    .addOption(socketOption())
    .option('--json', 'print one JSON object per update')
    .action(async (options: { socket?: string; json?: boolean }) => watchX509(runtime, options));

  return api;
}

async function watchX509(runtime: Runtime, options: { socket?: string; json?: boolean }): Promise<void> {
  const address = resolveSocket(options.socket, runtime.env);
  const print = (context: X509Context, elapsedMs: number) =>
    runtime.out(options.json ? `${JSON.stringify(x509ContextJson(context))}\n` : formatX509Context(context, elapsedMs));
  let last = performance.now();
  let source: X509Source;
  try {
    source = await X509Source.create({
      socket: address,
      signal: runtime.signal,
      onError: (error) => runtime.err(`watch: ${error.message}; retrying\n`),
    });
  } catch (error) {
    if (runtime.signal.aborted) return;
    throw toCliError(error, address);
  }
  try {
    const updates = source.updated(runtime.signal);
    print(source.getX509Context(), elapsedSince(last));
    last = performance.now();
    for await (const context of updates) {
      print(context, elapsedSince(last));
      last = performance.now();
    }
  } catch (error) {
    if (!runtime.signal.aborted) throw toCliError(error, address);
  } finally {
    await source.close();
  }
}
