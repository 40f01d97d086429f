import type { PodInfo } from './pod-info.js';

export type PodGoneReason = 'deleted' | 'replaced';
export type PodGoneListener = (podUid: string, reason: PodGoneReason) => void;

/**
 * This node's pods as the API server's watch reports them, by namespace/name. It tells listeners
 * when a pod UID stops existing: 'deleted' (DELETED event, or missing from a re-list) or
 * 'replaced' (a pod with the same namespace/name now has another UID, e.g. a StatefulSet pod
 * recreated while the watch was down). A pod that is only terminating (deletionTimestamp set)
 * is not gone yet: it may still be draining with its SVID.
 */
export class PodView {
  private pods = new Map<string, PodInfo>();
  private readonly listeners = new Set<PodGoneListener>();

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  get size(): number {
    return this.pods.size;
  }

  get(namespace: string, name: string): PodInfo | undefined {
    return this.pods.get(keyOf(namespace, name));
  }

  /** ADDED or MODIFIED. */
  upsert(pod: PodInfo): void {
    const key = keyOf(pod.namespace, pod.name);
    const previous = this.pods.get(key);
    this.pods.set(key, pod);
    if (previous && previous.uid !== pod.uid) this.emit(previous.uid, 'replaced');
  }

  /** DELETED: only the pod with that UID goes (a late event never removes its successor). */
  remove(pod: PodInfo): void {
    const key = keyOf(pod.namespace, pod.name);
    if (this.pods.get(key)?.uid !== pod.uid) return;
    this.pods.delete(key);
    this.emit(pod.uid, 'deleted');
  }

  /** A fresh list replaces the view; whatever vanished or changed UID meanwhile is reported. */
  replaceAll(pods: readonly PodInfo[]): void {
    const previous = this.pods;
    this.pods = new Map(pods.map((p) => [keyOf(p.namespace, p.name), p]));
    for (const [key, old] of previous) {
      const now = this.pods.get(key);
      if (!now) this.emit(old.uid, 'deleted');
      else if (now.uid !== old.uid) this.emit(old.uid, 'replaced');
    }
  }

  onPodGone(listener: PodGoneListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(podUid: string, reason: PodGoneReason): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(podUid, reason);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}

function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
