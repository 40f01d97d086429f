import { randomUUID } from 'node:crypto';

// The API double's pods with the API server's resourceVersion bookkeeping: every change gets the
// next version, a history of changes lets a watch resume from a version (or get 410 Expired once
// the history is compacted), and listeners see each change as it happens (watch streams, exec).

export type PodObject = Record<string, unknown> & {
  metadata: Record<string, unknown> & { name: string; namespace: string; uid: string; resourceVersion: string };
};

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change: `before` is the previous state (absent for ADDED), `after` the new (for DELETED, the last). */
export interface PodChange {
  readonly rv: number;
  readonly type: ChangeType;
  readonly before?: PodObject;
  readonly after: PodObject;
}

const HISTORY_LIMIT = 1000;

export class KubeApiPodStore {
  private readonly pods = new Map<string, PodObject>();
  private readonly listeners = new Set<(change: PodChange) => void>();
  private history: PodChange[] = [];
  private version = 1000;
  /** Watches from a version below this get 410: their changes are no longer known. */
  private oldestResumable = 1000;

  get resourceVersion(): string {
    return String(this.version);
  }

  /** The stored object; callers must not mutate it (copy first). */
  get(namespace: string, name: string): PodObject | undefined {
    return this.pods.get(`${namespace}/${name}`);
  }

  list(): PodObject[] {
    return [...this.pods.values()];
  }

  /** Creates or replaces the pod (ADDED or MODIFIED), stamping uid, creationTimestamp and resourceVersion. */
  upsert(pod: unknown): PodObject {
    const input = structuredClone(pod) as Record<string, unknown>;
    const meta = { ...(input['metadata'] as Record<string, unknown>) };
    if (typeof meta['namespace'] !== 'string' || typeof meta['name'] !== 'string') throw new Error('pod needs metadata.namespace and metadata.name');
    const key = `${meta['namespace']}/${meta['name']}`;
    meta['uid'] ??= randomUUID();
    // A new UID under the same name is a new pod: the API server shows DELETED, then ADDED.
    if (this.pods.get(key) && this.pods.get(key)!.metadata.uid !== meta['uid']) this.remove(meta['namespace'], meta['name']);
    const before = this.pods.get(key);
    meta['creationTimestamp'] ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    meta['resourceVersion'] = String(++this.version);
    const after = { kind: 'Pod', apiVersion: 'v1', ...input, metadata: meta } as unknown as PodObject;
    this.pods.set(key, after);
    this.record({ rv: this.version, type: before ? 'MODIFIED' : 'ADDED', ...(before ? { before } : {}), after });
    return after;
  }

  /** Graceful deletion's first step: deletionTimestamp set, pod still there (MODIFIED). */
  markDeleting(namespace: string, name: string, gracePeriodSeconds: number): PodObject | undefined {
    const pod = this.get(namespace, name);
    if (!pod || pod.metadata['deletionTimestamp']) return pod;
    const deletionTimestamp = new Date(Date.now() + gracePeriodSeconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    return this.upsert({ ...pod, metadata: { ...pod.metadata, deletionTimestamp, deletionGracePeriodSeconds: gracePeriodSeconds } });
  }

  /** The pod is gone (DELETED, carrying its last state under a new resourceVersion). */
  remove(namespace: string, name: string): PodObject | undefined {
    const key = `${namespace}/${name}`;
    const before = this.pods.get(key);
    if (!before) return undefined;
    this.pods.delete(key);
    const after = { ...before, metadata: { ...before.metadata, resourceVersion: String(++this.version) } };
    this.record({ rv: this.version, type: 'DELETED', before, after });
    return after;
  }

  /** Changes after version `rv`, or 'expired' when they are no longer all known. */
  changesSince(rv: number): PodChange[] | 'expired' {
    if (rv < this.oldestResumable) return 'expired';
    return this.history.filter((c) => c.rv > rv);
  }

  /** Forgets the history, as etcd compaction does: older versions get 410 Expired on watch. */
  compact(): void {
    this.history = [];
    this.oldestResumable = this.version;
  }

  subscribe(listener: (change: PodChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(change: PodChange): void {
    this.history.push(change);
    if (this.history.length > HISTORY_LIMIT) {
      this.history.shift();
      this.oldestResumable = this.history[0]!.rv - 1;
    }
    for (const listener of [...this.listeners]) listener(change);
  }
}

/** What a watch filtered by `matches` sees of a change (the API server's filtered-watch rules). */
export function filteredEvent(change: PodChange, matches: (pod: PodObject) => boolean): { type: ChangeType; object: PodObject } | undefined {
  const was = change.before !== undefined && matches(change.before);
  const is = change.type !== 'DELETED' && matches(change.after);
  if (change.type === 'DELETED') return was ? { type: 'DELETED', object: change.after } : undefined;
  if (!was && is) return { type: 'ADDED', object: change.after };
  if (was && is) return { type: 'MODIFIED', object: change.after };
  if (was && !is) return { type: 'DELETED', object: change.after };
  return undefined;
}
