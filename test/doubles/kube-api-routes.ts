import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeApiPodStore, PodObject } from './kube-api-pod-store.js';
import type { WatchStreams } from './kube-api-watch.js';
import { DISCOVERY, RESOURCE_NOT_FOUND, injectedFailure, notFound, parseFieldSelector, parseLabelSelector, statusJson } from './kube-api-status.js';
import type { Selector, StatusJson } from './kube-api-status.js';

// The API double's GET routes. Pods: `/api/v1/pods`, `/api/v1/namespaces/{ns}/pods[/{name}]`,
// list or watch (`?watch=true` as client-node's Watch sends it, or the legacy `/api/v1/watch/…`
// prefix). Anything else comes from the generic object store, keyed by path; a namespace or a
// service account that a pod refers to exists even when not stored, as the API server's
// admission guarantees in a real cluster.

const PODS = /^\/api\/v1\/(watch\/)?(?:namespaces\/([^/]+)\/)?pods(?:\/([^/]+))?$/;
const EXEC = /^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/(exec|attach)$/;
const NAMESPACE = /^\/api\/v1\/namespaces\/([^/]+)$/;
const CORE_OBJECT = /^\/api\/v1\/namespaces\/[^/]+\/([^/]+)\/([^/]+)$/;
const GROUP_OBJECT = /^\/apis\/([^/]+)\/[^/]+\/namespaces\/[^/]+\/([^/]+)\/([^/]+)$/;

export class KubeApiRoutes {
  readonly objects = new Map<string, unknown>();

  constructor(
    private readonly pods: KubeApiPodStore,
    private readonly watches: WatchStreams,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.method !== 'GET') return sendJson(res, 405, statusJson(405, 'the server does not allow this method on the requested resource', {}));
    const discovery = DISCOVERY[url.pathname];
    if (discovery) return sendJson(res, 200, discovery);
    const pods = PODS.exec(url.pathname);
    if (pods) return this.handlePods(res, url, { watchPath: !!pods[1], namespace: pods[2], name: pods[3] });
    if (EXEC.test(url.pathname)) return sendJson(res, 400, statusJson(400, 'Upgrade request required', {}));
    const object = this.objects.get(url.pathname) ?? this.implied(url.pathname);
    if (object !== undefined) return sendJson(res, 200, object);
    sendJson(res, 404, notFoundFor(url.pathname));
  }

  sendStatus(res: ServerResponse, status: number, path: string): void {
    sendJson(res, status, injectedFailure(status, path));
  }

  private handlePods(res: ServerResponse, url: URL, target: { watchPath: boolean; namespace?: string | undefined; name?: string | undefined }): void {
    const { namespace, name } = target;
    const watch = target.watchPath || url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    if (name && !watch) {
      const pod = namespace ? this.pods.get(namespace, name) : undefined;
      return pod ? sendJson(res, 200, pod) : sendJson(res, 404, notFound('pods', name));
    }
    let selected: Selector;
    try {
      const fields = parseFieldSelector(url.searchParams.get('fieldSelector'));
      const labels = parseLabelSelector(url.searchParams.get('labelSelector'));
      selected = (o) => fields(o) && labels(o);
    } catch (status) {
      return sendJson(res, 400, status as StatusJson);
    }
    const matches = (pod: PodObject) => (!namespace || pod.metadata.namespace === namespace) && (!name || pod.metadata.name === name) && selected(pod);
    if (watch) {
      const timeout = Number(url.searchParams.get('timeoutSeconds') ?? '');
      return this.watches.serve(res, { matches, resourceVersion: url.searchParams.get('resourceVersion'), timeoutSeconds: timeout > 0 ? timeout : null });
    }
    // List items carry no kind/apiVersion, as in the API server's lists.
    const items = this.pods.list().filter(matches).map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
    sendJson(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: this.pods.resourceVersion }, items });
  }

  private implied(path: string): unknown {
    const ns = NAMESPACE.exec(path)?.[1];
    if (ns && this.pods.list().some((p) => p.metadata.namespace === ns)) {
      const labels = { 'kubernetes.io/metadata.name': ns };
      return { kind: 'Namespace', apiVersion: 'v1', metadata: { name: ns, labels }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
    }
    const sa = /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/]+)$/.exec(path);
    if (sa && this.pods.list().some((p) => p.metadata.namespace === sa[1] && serviceAccountOf(p) === sa[2])) {
      return { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name: sa[2], namespace: sa[1] } };
    }
    return undefined;
  }
}

function notFoundFor(path: string): StatusJson {
  const ns = NAMESPACE.exec(path);
  if (ns) return notFound('namespaces', ns[1]!);
  const core = CORE_OBJECT.exec(path);
  if (core) return notFound(core[1]!, core[2]!);
  const group = GROUP_OBJECT.exec(path);
  if (group) return notFound(group[2]!, group[3]!, group[1]!);
  return RESOURCE_NOT_FOUND;
}

function serviceAccountOf(pod: PodObject): string | undefined {
  const spec = pod['spec'] as { serviceAccountName?: string } | undefined;
  return spec?.serviceAccountName;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
