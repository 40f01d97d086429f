import { sleep, systemClock } from '../async/index.js';
import type { Clock } from '../async/index.js';
import { F, describeError, silentLogger } from '../log/index.js';
import type { Logger } from '../log/index.js';
import { MAX_RESPONSE_BYTES } from './api-request.js';
import { abortable } from './abortable.js';
import { KubeError } from './kube-error.js';
import { KubeletClient } from './kubelet-client.js';
import type { KubeletEndpoint } from './kubelet-client.js';
import type { PodInfo } from './pod-info.js';
import { PodIndex } from './pod-index.js';

export interface KubeletPodSourceOptions {
  readonly endpoint: KubeletEndpoint;
  /** Least time between two kubelet requests, however many callers wait. Default 500. */
  readonly minRequestIntervalMs?: number;
  /** How long an unknown container may take to show up in the kubelet's list. Default 5000. */
  readonly newContainerWaitMs?: number;
  /** Per request, connection to last byte. Default 5000. */
  readonly requestTimeoutMs?: number;
  /** Larger answers are refused rather than buffered. Default 64 MiB. */
  readonly maxResponseBytes?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** Counters for metrics: kubelet requests sent and failed, pods in the cached list. */
export interface KubeletPodSourceStats {
  readonly requests: number;
  readonly failedRequests: number;
  readonly cachedPods: number;
}

/**
 * Pods on this node from the kubelet's `GET /pods` (implements attestation's PodSource).
 *
 * Load on the kubelet does not grow with the caller rate: a known container is answered from
 * the cached index with no request; callers that miss share one request (never more than one in
 * flight) and requests are at least `minRequestIntervalMs` apart. A container that has just
 * started may not be listed yet, so a miss is retried at that interval for up to
 * `newContainerWaitMs` before the answer is "no such pod". Each answer is parsed once, whoever
 * is waiting for it, and every waiter gets the same PodInfo objects (callers must not mutate
 * them).
 */
export class KubeletPodSource {
  private readonly client: KubeletClient;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly minRequestIntervalMs: number;
  private readonly newContainerWaitMs: number;
  private readonly closing = new AbortController();
  private index = PodIndex.empty;
  private pending: Promise<void> | undefined;
  private lastRequestAt = Number.NEGATIVE_INFINITY;
  private requests = 0;
  private failedRequests = 0;

  constructor(options: KubeletPodSourceOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ [F.component]: 'kubelet-pod-source' });
    this.minRequestIntervalMs = options.minRequestIntervalMs ?? 500;
    this.newContainerWaitMs = options.newContainerWaitMs ?? 5000;
    this.client = new KubeletClient(options.endpoint, {
      requestTimeoutMs: options.requestTimeoutMs ?? 5000,
      maxResponseBytes: options.maxResponseBytes ?? MAX_RESPONSE_BYTES,
      clock: this.clock,
    });
  }

  get stats(): KubeletPodSourceStats {
    return { requests: this.requests, failedRequests: this.failedRequests, cachedPods: this.index.podCount };
  }

  /**
   * The running pod with this container (and UID, when given). Undefined when the kubelet does
   * not list it within the wait, or lists it under another pod UID. Throws KubeError
   * 'unavailable' when the kubelet cannot be asked, and the signal's reason on abort.
   */
  async findPod(query: { podUid?: string; containerId: string }, signal: AbortSignal): Promise<PodInfo | undefined> {
    let found = this.index.find(query);
    const deadline = this.clock.now() + this.newContainerWaitMs;
    // At least one fresh answer after a miss, then more (at the request interval) until the deadline.
    while (found.kind === 'missing') {
      await abortable(this.refresh(), signal);
      found = this.index.find(query);
      if (this.clock.now() >= deadline) break;
    }
    if (found.kind === 'conflict') {
      this.log.warn('Container id and pod uid disagree with the kubelet', { [F.containerId]: query.containerId, [F.podUid]: query.podUid });
    }
    return found.kind === 'found' ? found.pod : undefined;
  }

  /**
   * Lists the node's pods once now (the agent calls it when its socket listens), so that the
   * first callers, whose containers already run, are answered from the cache instead of each
   * waiting for the kubelet. A failure is logged; the next caller's request tries again.
   */
  prefetch(): void {
    this.refresh().catch(() => undefined);
  }

  /** Stops any waiting request and releases the connection agent. */
  close(): void {
    this.closing.abort(new Error('kubelet pod source closed'));
    this.client.close();
  }

  /** The next kubelet answer: one shared promise for everyone who asks before it lands. */
  private refresh(): Promise<void> {
    this.pending ??= this.fetchWhenAllowed().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetchWhenAllowed(): Promise<void> {
    const waitMs = this.lastRequestAt + this.minRequestIntervalMs - this.clock.now();
    if (waitMs > 0) {
      await sleep(waitMs, this.closing.signal, this.clock).catch((cause: unknown) => {
        throw new KubeError('unavailable', 'kubelet pod source is closed', { cause });
      });
    }
    this.lastRequestAt = this.clock.now();
    this.requests++;
    try {
      const pods = await this.client.fetchPods(this.closing.signal);
      this.index = new PodIndex(pods);
      this.log.debug('Fetched kubelet pods', { [F.elapsedMs]: this.clock.now() - this.lastRequestAt });
    } catch (error) {
      this.failedRequests++;
      this.log.warn('Kubelet request failed', { [F.url]: this.client.url, [F.cause]: describeError(error) });
      throw error;
    }
  }
}
