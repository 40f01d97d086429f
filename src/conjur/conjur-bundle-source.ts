import { LatestValue, backoffDelayMs, sleep, systemClock } from '../async/index.js';
import type { Clock } from '../async/index.js';
import { F, describeError, silentLogger } from '../log/index.js';
import type { Logger } from '../log/index.js';
import { sameBundleSet } from '../spiffe/index.js';
import type { BundleSet, TrustDomain } from '../spiffe/index.js';
import { toBundleSet } from './bundle-pem.js';
import { linkedSignal } from './linked-signal.js';

export interface ConjurBundleSourceOptions {
  /** Reads a Conjur variable as the agent (ConjurAgentIdentity). */
  readonly secrets: { fetchSecret(variableId: string, signal: AbortSignal): Promise<Buffer> };
  readonly serviceId: string;
  /** The variable holding the CA certificate(s); default `conjur/authn-k8s/<serviceId>/ca/cert`. */
  readonly variableId?: string;
  readonly trustDomain: TrustDomain;
  readonly pollIntervalMs?: number;
  /** Bound on one poll, including the wait for the agent's first token. */
  readonly fetchTimeoutMs?: number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * BundleSource from Conjur: the authn-k8s CA in variable `conjur/authn-k8s/<svc>/ca/cert`, read
 * with the agent's own token and re-read every pollIntervalMs (5 min), so a CA rotation reaches
 * workloads without a restart. A failed read keeps the last good bundle and retries sooner.
 * run() drives the polling; subscribe() yields the current bundle, then each change.
 */
export class ConjurBundleSource {
  readonly variableId: string;
  private readonly bundles = new LatestValue<BundleSet>();
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly options: ConjurBundleSourceOptions) {
    this.variableId = options.variableId ?? `conjur/authn-k8s/${options.serviceId}/ca/cert`;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'conjur-bundle-source' });
  }

  current(): BundleSet | undefined {
    return this.bundles.get();
  }

  subscribe(signal: AbortSignal): AsyncIterable<BundleSet> {
    return this.bundles.subscribe(signal);
  }

  async run(signal: AbortSignal): Promise<void> {
    const pollMs = this.options.pollIntervalMs ?? 5 * 60_000;
    for (let failures = 0; !signal.aborted; ) {
      let delayMs = pollMs;
      try {
        this.update(await this.fetch(signal));
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        delayMs = Math.min(pollMs, backoffDelayMs(failures++, this.options.backoff ?? { initialMs: 1_000, maxMs: 60_000 }));
        this.log.warn('Trust bundle fetch failed', { [F.cause]: describeError(error) });
      }
      await sleep(delayMs, signal, this.clock).catch(() => undefined);
    }
  }

  private async fetch(signal: AbortSignal): Promise<BundleSet> {
    const bounded = linkedSignal([signal], { clock: this.clock, timeoutMs: this.options.fetchTimeoutMs ?? 30_000 });
    try {
      const pem = await this.options.secrets.fetchSecret(this.variableId, bounded.signal);
      return toBundleSet(pem.toString('utf8'), this.options.trustDomain);
    } finally {
      bounded.dispose();
    }
  }

  private update(next: BundleSet): void {
    const previous = this.bundles.get();
    if (previous && sameBundleSet(previous, next)) return;
    this.bundles.set(next);
    this.log.info('Trust bundle updated', { [F.reason]: previous ? 'changed' : 'loaded' });
  }
}
