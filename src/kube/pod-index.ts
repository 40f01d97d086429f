import type { PodInfo } from './pod-info.js';
import { isTerminal } from './pod-info.js';

/** What a lookup found: the pod, nothing (yet), or a contradiction that must fail closed at once. */
export type PodLookup = { kind: 'found'; pod: PodInfo } | { kind: 'missing' } | { kind: 'conflict' };

/**
 * One kubelet answer indexed by container id and pod UID, so a known container costs a map
 * lookup. Terminal pods (Succeeded/Failed) are left out: their containers are gone. Immutable;
 * a new answer builds a new index.
 */
export class PodIndex {
  static readonly empty = new PodIndex([]);

  private readonly byContainerId = new Map<string, PodInfo>();
  private readonly byUid = new Map<string, PodInfo>();
  private readonly ambiguousIds = new Set<string>();

  constructor(pods: readonly PodInfo[]) {
    for (const pod of pods) {
      if (isTerminal(pod)) continue;
      this.byUid.set(pod.uid, pod);
      for (const container of [...pod.containers, ...pod.initContainers]) {
        if (container.containerId) this.addContainer(container.containerId, pod);
      }
    }
  }

  get podCount(): number {
    return this.byUid.size;
  }

  /** By container id (checked against `podUid` when given), or by pod UID alone when no container id is known. */
  find(query: { podUid?: string | undefined; containerId: string }): PodLookup {
    if (!query.containerId) {
      const pod = query.podUid ? this.byUid.get(query.podUid) : undefined;
      return pod ? { kind: 'found', pod } : { kind: 'missing' };
    }
    if (this.ambiguousIds.has(query.containerId)) return { kind: 'conflict' };
    const pod = this.byContainerId.get(query.containerId);
    if (!pod) return { kind: 'missing' };
    // The cgroup names one pod, the kubelet another: never pick either.
    if (query.podUid && pod.uid !== query.podUid) return { kind: 'conflict' };
    return { kind: 'found', pod };
  }

  private addContainer(id: string, pod: PodInfo): void {
    const other = this.byContainerId.get(id);
    if (other && other.uid !== pod.uid) {
      this.ambiguousIds.add(id);
      return;
    }
    this.byContainerId.set(id, pod);
  }
}
