import { Watch } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { backoffDelayMs, sleep } from '../async/index.js';
import type { BackoffOptions, Clock } from '../async/index.js';
import { F, describeError } from '../log/index.js';
import type { Logger } from '../log/index.js';
import { getJson, toKubeError } from './api-request.js';
import { KubeError } from './kube-error.js';
import { fromPodJson, fromPodListJson } from './pod-json.js';
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
 * spec.nodeName=<node>`), as client-go's reflector does: a clean end resumes from the last
 * resourceVersion (bookmarks keep it fresh while nothing on this node changes); a failed watch
 * (API server restarting, connection cut) is retried from that same version with backoff, so a
 * control-plane restart costs every node one watch, not one list; only 410 Expired (the history
 * was compacted, or a restarted server's cache starts later) or a failed list lists again, and
 * the list reports whatever vanished meanwhile. Synced means a list has landed and a watch stream
 * is open now; in between, the view may be stale and readers must ask the server.
 */
export class PodWatch {
  private synced = false;
  private readonly watch: Watch;
  private readonly fieldSelector: string;
  private readonly what: string;

  constructor(private readonly options: PodWatchOptions) {
    this.watch = new Watch(options.kubeConfig);
    this.fieldSelector = `spec.nodeName=${options.nodeName}`;
    this.what = `pods on node ${options.nodeName}`;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { clock, backoff, log } = this.options;
    let failures = 0;
    let shortWatches = 0;
    // Where the next watch starts; undefined: list first.
    let resumeFrom: string | undefined;
    while (!signal.aborted) {
      try {
        if (resumeFrom === undefined) resumeFrom = await this.list(signal);
        const startedAt = clock.now();
        const end = await this.watchFrom(resumeFrom, signal);
        failures = 0;
        if (end.kind === 'aborted') break;
        if (end.kind === 'expired') {
          log.info('Pod watch expired, listing again');
          resumeFrom = undefined;
          continue;
        }
        resumeFrom = end.resourceVersion;
        shortWatches = clock.now() - startedAt < SHORT_WATCH_MS ? shortWatches + 1 : 0;
        if (shortWatches > 0) await sleep(backoffDelayMs(shortWatches - 1, backoff), signal, clock);
      } catch (error) {
        this.synced = false;
        if (signal.aborted) break;
        log.warn(resumeFrom === undefined ? 'Pod list failed' : 'Pod watch failed', { [F.cause]: describeError(error) });
        await sleep(backoffDelayMs(failures++, backoff), signal, clock).catch(() => undefined);
      }
    }
    this.synced = false;
  }

  /** Lists this node's pods into the view; returns the list's resourceVersion to watch from. */
  private async list(signal: AbortSignal): Promise<string> {
    const { clock, requestTimeoutMs, view } = this.options;
    const listStartedAt = clock.now();
    const path = `/api/v1/pods?fieldSelector=${encodeURIComponent(this.fieldSelector)}`;
    const list = await getJson(this.options.kubeConfig, path, this.what, { signal, timeoutMs: requestTimeoutMs, clock });
    if (list === undefined) throw new KubeError('unavailable', `api server returned 404 for ${this.what}`);
    const pods = fromPodListJson(list);
    if (!pods) throw new KubeError('unavailable', `api server sent no pod list for ${this.what}`);
    view.replaceAll(pods);
    this.options.log.debug('Listed pods on this node', { [F.elapsedMs]: clock.now() - listStartedAt });
    return resourceVersionOf(list) ?? '';
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
        if (type === 'BOOKMARK') return void this.options.log.debug('Pod watch bookmark', { [F.resourceVersion]: lastVersion });
        const pod = fromPodJson(object);
        if (pod && type === 'DELETED') view.remove(pod);
        else if (pod) view.upsert(pod);
      };
      const onDone = (error: unknown) =>
        finish(() => {
          if (error instanceof KubeError) reject(error);
          else if (httpStatusOf(error) === 410) resolve({ kind: 'expired' });
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

/** client-node's Watch rejects a non-200 answer with an Error carrying `statusCode`. */
function httpStatusOf(error: unknown): number | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { statusCode?: unknown }).statusCode : undefined;
  return typeof code === 'number' ? code : undefined;
}

function resourceVersionOf(object: unknown): string | undefined {
  const metadata = typeof object === 'object' && object !== null ? (object as { metadata?: { resourceVersion?: unknown } }).metadata : undefined;
  return typeof metadata?.resourceVersion === 'string' ? metadata.resourceVersion : undefined;
}
