import type { KubeConfig } from '@kubernetes/client-node';
import { SingleFlight, systemClock } from '../async/index.js';
import type { BackoffOptions, Clock } from '../async/index.js';
import { F, describeError, silentLogger } from '../log/index.js';
import type { Logger } from '../log/index.js';
import { abortable } from './abortable.js';
import { getJson } from './api-request.js';
import { loadKubeConfig } from './kube-config.js';
import type { KubeConfigSource } from './kube-config.js';
import type { PodInfo } from './pod-info.js';
import { fromPodJson } from './pod-json.js';
import { PodView } from './pod-view.js';
import type { PodGoneListener } from './pod-view.js';
import { PodWatch } from './pod-watch.js';

export interface ApiServerPodVerifierOptions {
  /** This node: the watch covers only pods scheduled here. */
  readonly nodeName: string;
  readonly kubeConfig: KubeConfigSource;
  /** Per API request (list, get). Default 5000. */
  readonly requestTimeoutMs?: number;
  /** Between failed list/watch attempts. Default 500 ms doubling to 30 s, ±50 % jitter. */
  readonly backoff?: BackoffOptions;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * The API server's view of pods, for attestation's cross-check (implements PodVerifier), and the
 * source of "pod gone" events for eviction. `run(signal)` keeps a watch of this node's pods; while
 * it is synced, getPod answers from it without a request. A pod not in the view (just created,
 * or on another node) and every call while not synced cost one GET, shared by concurrent callers
 * of the same pod. API server trouble surfaces as KubeError 'unavailable', never as "no pod".
 */
export class ApiServerPodVerifier {
  private readonly kubeConfig: KubeConfig;
  private readonly view: PodView;
  private readonly watch: PodWatch;
  private readonly gets = new SingleFlight<string, PodInfo | undefined>();
  private readonly clock: Clock;
  private readonly requestTimeoutMs: number;
  private getRequests = 0;

  constructor(options: ApiServerPodVerifierOptions) {
    const kubeConfig = loadKubeConfig(options.kubeConfig);
    this.kubeConfig = kubeConfig;
    const log = (options.logger ?? silentLogger).child({ [F.component]: 'api-server-pod-verifier' });
    this.clock = options.clock ?? systemClock;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.view = new PodView((error) => log.error('Pod gone listener failed', { [F.cause]: describeError(error) }));
    this.watch = new PodWatch({
      nodeName: options.nodeName,
      kubeConfig,
      view: this.view,
      requestTimeoutMs: this.requestTimeoutMs,
      backoff: options.backoff ?? { initialMs: 500, maxMs: 30_000 },
      clock: this.clock,
      log,
    });
  }

  /** True while the local view is current (listed, watch open); readiness can report it. */
  get isSynced(): boolean {
    return this.watch.isSynced;
  }

  /** Counters for metrics: GETs sent (view misses) and pods in the view. */
  get stats(): { readonly getRequests: number; readonly viewPods: number } {
    return { getRequests: this.getRequests, viewPods: this.view.size };
  }

  /** Watches this node's pods until `signal` aborts; errors are retried with backoff, never thrown. */
  run(signal: AbortSignal): Promise<void> {
    return this.watch.run(signal);
  }

  /** The pod by namespace/name; undefined if the API server has no such pod. */
  async getPod(namespace: string, name: string, signal: AbortSignal): Promise<PodInfo | undefined> {
    if (this.watch.isSynced) {
      const known = this.view.get(namespace, name);
      if (known) return known;
    }
    return abortable(this.gets.run(`${namespace}/${name}`, () => this.fetchPod(namespace, name)), signal);
  }

  /** Called when a pod UID is deleted or replaced by a new pod of the same namespace/name; returns an unsubscribe. */
  onPodGone(listener: PodGoneListener): () => void {
    return this.view.onPodGone(listener);
  }

  private async fetchPod(namespace: string, name: string): Promise<PodInfo | undefined> {
    this.getRequests++;
    // Shared by every caller of this pod, so no single caller's signal may cancel it.
    const context = { signal: new AbortController().signal, timeoutMs: this.requestTimeoutMs, clock: this.clock };
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`;
    const pod = await getJson(this.kubeConfig, path, `pod ${namespace}/${name}`, context);
    return pod === undefined ? undefined : fromPodJson(pod);
  }
}
