import { CoreV1Api, Watch } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { backoffDelayMs, sleep } from '../async/index.js';
import type { BackoffOptions, Clock } from '../async/index.js';
import { F, describeError } from '../log/index.js';
import type { Logger } from '../log/index.js';
import { callApi, toKubeError } from './api-request.js';
import { KubeError } from './kube-error.js';
import type { PodInfo } from './pod-info.js';
import { fromPodJson } from './pod-json.js';
import type { PodView } from './pod-view.js';

export interface PodWatchOptions {
  readonly nodeName: string;
  readonly kubeConfig: KubeConfig;
  readonly view: PodView;
  readonly requestTimeoutMs: number;
  readonly backoff: BackoffOptions;
  readonly clock: Clock;
  readonly log: Logger;
}

/** How one watch stream ended: cleanly (resume from a version), 410 (list again), or shut down. */
type WatchEnd = { kind: 'closed'; resourceVersion: string } | { kind: 'expired' } | { kind: 'aborted' };

// Ask the server to end each watch after about five minutes, as client-go's reflector does, so a
// stream that silently stalled is replaced even if TCP never reports it.
const WATCH_TIMEOUT_SECONDS = 300;
// A watch that ends sooner than this counts as a failure for backoff, so a server that closes
// streams at once is not hammered.
const SHORT_WATCH_MS = 1000;

/**
 * Keeps a PodView of this node's pods current with list-then-watch (`fieldSelector=
 * spec.nodeName=<node>`): a clean end resumes from the last resourceVersion, 410 Expired lists
 * again, any error backs off with jitter and lists again. Synced means a list has landed and a
 * watch stream is open now; in between, the view may be stale and readers must ask the server.
 */
export class PodWatch {
  private synced = false;
  private readonly core: CoreV1Api;
  private readonly watch: Watch;
  private readonly fieldSelector: string;

  constructor(private readonly options: PodWatchOptions) {
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.watch = new Watch(options.kubeConfig);
    this.fieldSelector = `spec.nodeName=${options.nodeName}`;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.listAndWatch(signal, () => (failures = 0));
      } catch (error) {
        this.synced = false;
        if (signal.aborted) break;
        this.options.log.warn('Pod watch failed', { [F.cause]: describeError(error) });
        await sleep(backoffDelayMs(failures++, this.options.backoff), signal, this.options.clock).catch(() => undefined);
      }
    }
    this.synced = false;
  }

  private async listAndWatch(signal: AbortSignal, onListed: () => void): Promise<void> {
    const { clock, requestTimeoutMs, view, backoff } = this.options;
    const what = `pods on node ${this.options.nodeName}`;
    const listStartedAt = clock.now();
    const list = await callApi(what, (o) => this.core.listPodForAllNamespaces({ fieldSelector: this.fieldSelector }, o), { signal, timeoutMs: requestTimeoutMs, clock });
    if (!list) throw new KubeError('unavailable', `api server returned 404 for ${what}`);
    view.replaceAll(list.items.map(fromPodJson).filter((p): p is PodInfo => p !== undefined));
    onListed();
    this.options.log.debug('Listed pods on this node', { [F.elapsedMs]: clock.now() - listStartedAt });
    let resourceVersion = list.metadata?.resourceVersion ?? '';
    let shortWatches = 0;
    for (;;) {
      const startedAt = clock.now();
      const end = await this.watchFrom(resourceVersion, signal);
      if (end.kind === 'expired') this.options.log.info('Pod watch expired, listing again');
      if (end.kind !== 'closed') return;
      resourceVersion = end.resourceVersion;
      shortWatches = clock.now() - startedAt < SHORT_WATCH_MS ? shortWatches + 1 : 0;
      if (shortWatches > 0) await sleep(backoffDelayMs(shortWatches - 1, backoff), signal, clock);
    }
  }

  /** One watch stream, applied to the view as events arrive. */
  private watchFrom(resourceVersion: string, signal: AbortSignal): Promise<WatchEnd> {
    const { view } = this.options;
    return new Promise<WatchEnd>((resolve, reject) => {
      if (signal.aborted) return resolve({ kind: 'aborted' });
      let lastVersion = resourceVersion;
      let expired = false;
      let failure: string | undefined;
      let finished = false;
      let controller: AbortController | undefined;
      // client-node's Watch takes no signal until the server has answered: bound that wait here.
      const cancelStartTimer = this.options.clock.setTimer(
        () => onDone(new KubeError('unavailable', `api server did not answer the pod watch within ${this.options.requestTimeoutMs} ms`)),
        this.options.requestTimeoutMs,
      );
      const finish = (outcome: () => void) => {
        if (finished) return;
        finished = true;
        cancelStartTimer();
        this.synced = false;
        signal.removeEventListener('abort', onAbort);
        controller?.abort();
        outcome();
      };
      const onAbort = () => finish(() => resolve({ kind: 'aborted' }));
      const onEvent = (type: string, object: unknown) => {
        if (finished) return;
        if (type === 'ERROR') {
          if (statusCodeOf(object) === 410) expired = true;
          else failure = `api server sent a watch error: ${statusCodeOf(object) ?? 'unknown'}`;
          return;
        }
        lastVersion = resourceVersionOf(object) ?? lastVersion;
        const pod = type === 'BOOKMARK' ? undefined : fromPodJson(object);
        if (pod && type === 'DELETED') view.remove(pod);
        else if (pod) view.upsert(pod);
      };
      const onDone = (error: unknown) =>
        finish(() => {
          if (error instanceof KubeError) reject(error);
          else if (error) reject(toKubeError('pod watch', error));
          else if (expired) resolve({ kind: 'expired' });
          else if (failure) reject(new KubeError('unavailable', failure));
          else resolve({ kind: 'closed', resourceVersion: lastVersion });
        });
      signal.addEventListener('abort', onAbort, { once: true });
      const query = { fieldSelector: this.fieldSelector, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: WATCH_TIMEOUT_SECONDS };
      this.watch.watch('/api/v1/pods', query, onEvent, onDone).then(
        (started) => {
          controller = started;
          cancelStartTimer();
          if (finished) started.abort();
          else this.synced = true;
        },
        (error: unknown) => onDone(error ?? new Error('watch failed')),
      );
    });
  }
}

function statusCodeOf(object: unknown): number | undefined {
  const code = typeof object === 'object' && object !== null ? (object as { code?: unknown }).code : undefined;
  return typeof code === 'number' ? code : undefined;
}

function resourceVersionOf(object: unknown): string | undefined {
  const metadata = typeof object === 'object' && object !== null ? (object as { metadata?: { resourceVersion?: unknown } }).metadata : undefined;
  return typeof metadata?.resourceVersion === 'string' ? metadata.resourceVersion : undefined;
}
