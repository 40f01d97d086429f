import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { TestCa } from '../support/test-ca.js';
import { LoopbackListener } from './loopback-listener.js';
import { KubeApiPodStore } from './kube-api-pod-store.js';
import type { PodChange, PodObject } from './kube-api-pod-store.js';
import { WatchStreams } from './kube-api-watch.js';
import { KubeApiRoutes } from './kube-api-routes.js';

// A Kubernetes API server on 127.0.0.1 over HTTPS (certificate from the test CA) with bearer-token
// auth and the real Status JSON errors: pods get/list/watch with field and label selectors, a
// generic object store for namespaces, service accounts and apps/v1 workloads, and discovery.
// It never listens for `upgrade`: the Conjur double attaches pods/exec to `server` itself.

export interface KubeApiOptions {
  ca: TestCa;
  token: string;
}

export interface KubeApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
}

export interface KubeApiDouble {
  readonly url: string;
  readonly server: Server;
  readonly pods: KubeApiPodStore;
  /** Every request received, in order (after auth or not). */
  readonly requests: readonly KubeApiRequest[];
  /** Watch streams currently open. */
  readonly openWatches: number;
  /** ADDED, or MODIFIED when namespace/name exists (DELETED then ADDED when the UID differs). */
  upsertPod(pod: unknown): PodObject;
  /**
   * Deletes at once (DELETED). `graceful` first sets metadata.deletionTimestamp (MODIFIED) and
   * leaves the pod terminating: DELETED follows after `gracePeriodMs`, or on a non-graceful call.
   */
  deletePod(namespace: string, name: string, options?: { graceful?: boolean; gracePeriodMs?: number }): void;
  getPod(namespace: string, name: string): PodObject | undefined;
  onPodsChanged(listener: (change: PodChange) => void): () => void;
  /** Serves `json` at GET `apiPath`, e.g. `/apis/apps/v1/namespaces/ns/deployments/web`. */
  setObject(apiPath: string, json: unknown): void;
  deleteObject(apiPath: string): void;
  setToken(token: string): void;
  /** The next `times` requests (whose path matches `pathPattern`, if given) get `status` as a Status error. */
  failNext(status: number, times?: number, pathPattern?: RegExp): void;
  /** Drops the failures failNext queued. */
  clearFailures(): void;
  /** Requests (whose path and query match `match`, if given) are answered only after `ms`. */
  setDelayMs(ms: number, match?: RegExp): void;
  /** Down: every open connection is destroyed, and new ones as soon as they connect. */
  setDown(down: boolean): void;
  /** Ends every watch stream cleanly (clients resume from their last resourceVersion). */
  dropWatches(): void;
  /** Forgets the change history: watches from older versions get an ERROR 410 event. */
  compactHistory(): void;
  close(): Promise<void>;
}

export async function startKubeApi(options: KubeApiOptions): Promise<KubeApiDouble> {
  const cert = await options.ca.issueServerCert();
  const pods = new KubeApiPodStore();
  const watches = new WatchStreams(pods);
  const routes = new KubeApiRoutes(pods, watches);
  const requests: KubeApiRequest[] = [];
  const failures: { status: number; pattern: RegExp | undefined }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let token = options.token;
  let delay: { ms: number; match: RegExp | undefined } = { ms: 0, match: undefined };

  const later = (fn: () => void, ms: number) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const respond = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (res.destroyed) return;
    if (req.headers.authorization !== `Bearer ${token}`) return routes.sendStatus(res, 401, url.pathname);
    const failure = failures.findIndex((f) => !f.pattern || f.pattern.test(url.pathname));
    if (failure >= 0) return routes.sendStatus(res, failures.splice(failure, 1)[0]!.status, url.pathname);
    routes.handle(req, res, url);
  };

  const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://kube-api');
    requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search });
    if (delay.ms > 0 && (!delay.match || delay.match.test(url.pathname + url.search))) later(() => respond(req, res, url), delay.ms);
    else respond(req, res, url);
  });
  const listener = new LoopbackListener(server);
  const port = await listener.listen();

  return {
    url: `https://127.0.0.1:${port}`,
    server,
    pods,
    requests,
    get openWatches() {
      return watches.count;
    },
    upsertPod: (pod) => pods.upsert(pod),
    deletePod(namespace, name, opts = {}) {
      if (!opts.graceful) return void pods.remove(namespace, name);
      pods.markDeleting(namespace, name, Math.ceil((opts.gracePeriodMs ?? 30_000) / 1000));
      if (opts.gracePeriodMs !== undefined) later(() => pods.remove(namespace, name), opts.gracePeriodMs);
    },
    getPod: (namespace, name) => pods.get(namespace, name),
    onPodsChanged: (listener) => pods.subscribe(listener),
    setObject: (apiPath, json) => routes.objects.set(normalizePath(apiPath), structuredClone(json)),
    deleteObject: (apiPath) => void routes.objects.delete(normalizePath(apiPath)),
    setToken: (next) => (token = next),
    failNext: (status, times = 1, pattern) => failures.push(...Array.from({ length: times }, () => ({ status, pattern }))),
    clearFailures: () => void failures.splice(0),
    setDelayMs: (ms, match) => (delay = { ms, match }),
    setDown: (value) => listener.setDown(value),
    dropWatches: () => watches.endAll(),
    compactHistory: () => pods.compact(),
    close: () => {
      for (const timer of timers) clearTimeout(timer);
      return listener.close();
    },
  };
}

function normalizePath(apiPath: string): string {
  return `/${apiPath.replace(/^\/+|\/+$/g, '')}`;
}
