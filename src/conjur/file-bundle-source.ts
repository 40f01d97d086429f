import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LatestValue, sleep, systemClock } from '../async/index.js';
import type { Clock } from '../async/index.js';
import { F, describeError, silentLogger } from '../log/index.js';
import type { Logger } from '../log/index.js';
import { sameBundleSet } from '../spiffe/index.js';
import type { BundleSet, TrustDomain } from '../spiffe/index.js';
import { toBundleSet } from './bundle-pem.js';

export interface FileBundleSourceOptions {
  /** A PEM file with the authn-k8s CA certificate(s), e.g. from a ConfigMap. */
  readonly path: string;
  readonly trustDomain: TrustDomain;
  /** Re-read period: the fallback where no change event arrives. */
  readonly pollIntervalMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * BundleSource from a PEM file, reloaded on change. The parent directory is watched, not the
 * file: ConfigMap volumes swap a symlink, which a watch on the old file never reports. A file
 * that stops parsing keeps the last good bundle (with a warning); only the first load must work.
 */
export class FileBundleSource {
  private readonly bundles = new LatestValue<BundleSet>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private loading: Promise<unknown> = Promise.resolve();
  /** The text the current bundle was parsed from: an unchanged file is not parsed again. */
  private loadedText: string | undefined;

  constructor(private readonly options: FileBundleSourceOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'file-bundle-source' });
  }

  current(): BundleSet | undefined {
    return this.bundles.get();
  }

  subscribe(signal: AbortSignal): AsyncIterable<BundleSet> {
    return this.bundles.subscribe(signal);
  }

  /** Reads the file now; throws when it is missing or not a PEM certificate bundle. */
  load(): Promise<BundleSet> {
    // One read at a time, so an older read can never overwrite a newer one.
    const next = this.loading.then(() => this.read(), () => this.read());
    this.loading = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<BundleSet> {
    const text = await readFile(this.options.path, 'utf8');
    const previous = this.bundles.get();
    // The poll runs every few seconds for the agent's whole life; parsing certificates each time
    // was most of the idle agent's CPU (issue 14). Same text, same bundle.
    if (previous && text === this.loadedText) return previous;
    const next = toBundleSet(text, this.options.trustDomain);
    this.loadedText = text;
    if (previous && sameBundleSet(previous, next)) return previous;
    this.bundles.set(next);
    this.log.info('Trust bundle updated', { source: 'file', [F.reason]: previous ? 'changed' : 'loaded' });
    return next;
  }

  /** Loads (failing if the first load fails), then reloads on change until aborted. */
  async run(signal: AbortSignal): Promise<void> {
    if (!this.bundles.get()) await this.load();
    const watcher = this.watchDirectory();
    try {
      while (!signal.aborted) {
        await sleep(this.options.pollIntervalMs ?? 5_000, signal, this.clock).catch(() => undefined);
        if (!signal.aborted) await this.reload();
      }
    } finally {
      watcher?.close();
    }
  }

  private async reload(): Promise<void> {
    try {
      await this.load();
    } catch (error) {
      this.log.warn('Trust bundle reload failed', { [F.cause]: describeError(error) });
    }
  }

  private watchDirectory(): FSWatcher | undefined {
    try {
      const watcher = watch(dirname(this.options.path), { persistent: false }, () => void this.reload());
      watcher.on('error', () => watcher.close());
      return watcher;
    } catch {
      return undefined;
    }
  }
}
