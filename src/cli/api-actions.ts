import { systemClock } from '../async/index.js';
import { fetchConjurTokenOnce, fetchX509BundlesOnce, fetchX509ContextOnce, X509Source } from '../client/index.js';
import type { X509Context } from '../client/index.js';
import { resolveSocket } from './resolve-socket.js';
import { stopwatch, withDeadline } from './runtime.js';
import type { Runtime } from './runtime.js';
import { writeBundleFiles, writeSpireLayout } from './svid-files.js';
import { toCliError } from './to-cli-error.js';
import { bundlesJson, formatBundles, formatX509Context, tokenJson, x509ContextJson } from './x509-summary.js';

// What `api fetch x509|bundles|token` and `api watch` do once parsed (api-commands.ts holds
// their command lines). Loaded only when one of them runs: it brings in the client library.
// The fetches ask once and exit, so they make one plain HTTP/2 request (fetch-once.ts) and never
// load grpc-js; `api watch` keeps a stream open and reconnects, so it uses X509Source (grpc-js).

export interface FetchOptions {
  socket?: string;
  write?: string;
  json?: boolean;
  timeout: number;
}

export async function fetchX509(runtime: Runtime, options: FetchOptions): Promise<void> {
  const address = resolveSocket(options.socket, runtime.env);
  const elapsed = stopwatch();
  const context = await withDeadline(runtime, address, options.timeout, (signal) => fetchX509ContextOnce({ socket: address, signal }));
  const elapsedMs = elapsed();
  runtime.out(options.json ? `${JSON.stringify(x509ContextJson(context), null, 2)}\n` : formatX509Context(context, elapsedMs));
  if (options.write !== undefined) {
    const written = await writeSpireLayout(options.write, context).catch((error: unknown) => Promise.reject(toCliError(error, address)));
    if (!options.json) for (const path of written) runtime.out(`Wrote ${path}\n`);
  }
}

export async function fetchBundles(runtime: Runtime, options: FetchOptions): Promise<void> {
  const address = resolveSocket(options.socket, runtime.env);
  const elapsed = stopwatch();
  const bundles = await withDeadline(runtime, address, options.timeout, (signal) => fetchX509BundlesOnce({ socket: address, signal }));
  runtime.out(options.json ? `${JSON.stringify(bundlesJson(bundles), null, 2)}\n` : formatBundles(bundles, elapsed()));
  if (options.write !== undefined) {
    const written = await writeBundleFiles(options.write, bundles).catch((error: unknown) => Promise.reject(toCliError(error, address)));
    if (!options.json) for (const path of written) runtime.out(`Wrote ${path}\n`);
  }
}

export async function fetchToken(runtime: Runtime, options: FetchOptions): Promise<void> {
  const address = resolveSocket(options.socket, runtime.env);
  const token = await withDeadline(runtime, address, options.timeout, (signal) => fetchConjurTokenOnce({ socket: address, signal }));
  runtime.out(options.json ? `${JSON.stringify(tokenJson(token, systemClock.now()), null, 2)}\n` : token.raw.toString());
}

export async function watchX509(runtime: Runtime, options: { socket?: string; json?: boolean }): Promise<void> {
  const address = resolveSocket(options.socket, runtime.env);
  const print = (context: X509Context, elapsedMs: number) =>
    runtime.out(options.json ? `${JSON.stringify(x509ContextJson(context))}\n` : formatX509Context(context, elapsedMs));
  let elapsed = stopwatch();
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
    print(source.getX509Context(), elapsed());
    elapsed = stopwatch();
    for await (const context of updates) {
      print(context, elapsed());
      elapsed = stopwatch();
    }
  } catch (error) {
    if (!runtime.signal.aborted) throw toCliError(error, address);
  } finally {
    await source.close();
  }
}
