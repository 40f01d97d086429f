import type { Peer } from '../peer/index.js';
import { DEFAULT_LOCATE_OPTIONS, NestedCgroupError, locateContainer } from './cgroup/index.js';
import type { LocateOptions } from './cgroup/index.js';

/**
 * The group a caller's Workload API limits count against, read when its connection is accepted:
 * `pod <uid>` from its cgroup path (`container <id>` where a cgroup namespace hides the pod), or
 * `uid <n>` for a process in no container. Pods often share a uid (0, or an image's default), so
 * counting by uid would let one pod use up the budget of every pod running as that uid; the
 * cgroup is the kernel's answer, the same one attestation starts from, and costs one /proc read.
 * A cgroup that cannot be read or makes no sense counts by uid (such a caller gets no identity
 * anyway), except one nested below a pod's container, which counts against that pod; whether
 * the process is still the one that connected is the endpoint's check.
 */
export class CgroupCallerGroups {
  constructor(
    private readonly procRoot: string,
    /** The attestor's own reading rules (layout, size bounds), so both see the same pod. */
    private readonly options: LocateOptions = DEFAULT_LOCATE_OPTIONS,
  ) {}

  async groupOf(peer: Peer, signal: AbortSignal): Promise<string> {
    signal.throwIfAborted();
    const byUid = `uid ${peer.credentials.uid}`;
    try {
      const location = await locateContainer(this.procRoot, peer.credentials.pid, undefined, this.options);
      if (location.kind === 'not-a-pod') return byUid;
      return location.podUid === undefined ? `container ${location.containerId}` : `pod ${location.podUid}`;
    } catch (error) {
      // Cgroups nested below its own container get the caller no identity, and must not move
      // its connections off its own pod's budget either.
      if (error instanceof NestedCgroupError) return `pod ${error.outerPodUid}`;
      return byUid;
    }
  }
}
