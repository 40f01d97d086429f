import type { ContainerInfo, PodInfo } from './pod-info.js';

// V1Pod JSON (kubelet /pods items, API server objects and watch events, or client-node's
// deserialised V1Pod, whose timestamps are Date objects) to compact PodInfo values. Only what
// attestation needs is kept, so the raw document can be dropped right after parsing.

type Json = Record<string, unknown>;

// kubectl's copy of the whole manifest: often kilobytes per pod and never an identity input.
const DROPPED_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

/** The pod in `json`, or undefined when it lacks the identity fields (uid, namespace, name). */
export function fromPodJson(json: unknown): PodInfo | undefined {
  const metadata = obj(obj(json)['metadata']);
  const spec = obj(obj(json)['spec']);
  const status = obj(obj(json)['status']);
  const uid = str(metadata['uid']);
  const namespace = str(metadata['namespace']);
  const name = str(metadata['name']);
  if (!uid || !namespace || !name) return undefined;
  const deletionTimestamp = timestamp(metadata['deletionTimestamp']);
  return {
    uid,
    namespace,
    name,
    nodeName: str(spec['nodeName']),
    serviceAccount: str(spec['serviceAccountName']) || str(spec['serviceAccount']) || 'default',
    phase: str(status['phase']),
    ...(deletionTimestamp ? { deletionTimestamp } : {}),
    labels: stringMap(metadata['labels'], new Set()),
    annotations: stringMap(metadata['annotations'], DROPPED_ANNOTATIONS),
    ownerReferences: arr(metadata['ownerReferences']).map((o) => {
      const ref = obj(o);
      const controller = ref['controller'];
      return {
        apiVersion: str(ref['apiVersion']),
        kind: str(ref['kind']),
        name: str(ref['name']),
        uid: str(ref['uid']),
        ...(typeof controller === 'boolean' ? { controller } : {}),
      };
    }),
    containers: toContainers(spec['containers'], status['containerStatuses']),
    initContainers: toContainers(spec['initContainers'], status['initContainerStatuses']),
    volumes: arr(spec['volumes']).map((v) => ({ name: str(obj(v)['name']), kind: obj(v)['emptyDir'] ? 'emptyDir' : 'other' })),
  };
}

/** The items of a PodList (kubelet `kind: PodList`, or the older `kind: List`) as PodInfo values. */
export function fromPodListJson(json: unknown): PodInfo[] | undefined {
  const items = obj(json)['items'];
  if (!Array.isArray(items)) return undefined;
  return items.map(fromPodJson).filter((p): p is PodInfo => p !== undefined);
}

/** `containerd://abc…` → `abc…` (cri-o://, docker:// alike). */
export function bareContainerId(id: string): string {
  const at = id.indexOf('://');
  return at >= 0 ? id.slice(at + 3) : id;
}

function toContainers(specs: unknown, statuses: unknown): ContainerInfo[] {
  const byName = new Map(arr(statuses).map((s) => [str(obj(s)['name']), obj(s)] as const));
  return arr(specs).map((c) => {
    const spec = obj(c);
    const name = str(spec['name']);
    const status = byName.get(name) ?? {};
    return {
      name,
      image: str(spec['image']),
      imageId: str(status['imageID']),
      containerId: bareContainerId(str(status['containerID'])),
      volumeMounts: arr(spec['volumeMounts']).map((m) => ({ name: str(obj(m)['name']), mountPath: str(obj(m)['mountPath']) })),
    };
  });
}

function stringMap(value: unknown, dropped: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(value))) if (typeof v === 'string' && !dropped.has(k)) out[k] = v;
  return out;
}

function timestamp(value: unknown): string | undefined {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' && value ? value : undefined;
}

function obj(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
