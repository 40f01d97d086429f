import { AttestationError } from '../attestation-error.js';

/**
 * What one cgroup path says about the process in it. Paths are read innermost first: the
 * innermost container cgroup is the caller's; container cgroups further out are the layers it
 * is nested in (a kind node's own container) and are never taken as the caller's.
 */
export interface CgroupPathIds {
  readonly containerId?: string;
  /** Dashed pod UID (the systemd driver's underscores turned back into dashes). */
  readonly podUid?: string;
  /** The innermost container cgroup is cri-o's conmon monitor of this container, not the container. */
  readonly conmonOf?: string;
  readonly outerContainerIds: readonly string[];
  /** The path names nothing: `/` (the root of the reader's cgroup namespace) or only `..`. */
  readonly isEmpty: boolean;
}

// `pod<uid>` (cgroupfs), `kubepods-burstable-pod<uid_with_underscores>.slice` (systemd), and
// `kubelet-kubepods-...-pod<uid>.slice` (kind's kubelet cgroup root). Static pods use a
// 32-hex config hash as their UID.
const POD_SEGMENT =
  /^(?:[a-z0-9]+-)*pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}|[0-9a-f]{32})(?:\.slice)?$/;
// `cri-containerd-<id>.scope`, `crio-<id>.scope`, `docker-<id>.scope`, or a bare id (cgroupfs
// driver: `.../pod<uid>/<id>`, `/docker/<id>`, and the `...:cri-containerd:<id>` form).
const CONTAINER_SEGMENT = /^(?:(?:cri-containerd|crio|docker|cri-dockerd|libpod)-)?([0-9a-f]{64})(?:\.scope)?$/;
const CONMON_SEGMENT = /^crio-conmon-([0-9a-f]{64})(?:\.scope)?$/;
const CGROUP_LINE = /^(\d+):([^:]*):(.*)$/;

type Phase = 'inner' | 'pod-search' | 'outer';

export function parseCgroupPath(path: string): CgroupPathIds {
  // The systemd driver's cgroupsPath form `<slice>:<prefix>:<id>` can show up verbatim in the
  // last segment, so colons separate segments too.
  const segments = path
    .split('/')
    .flatMap((segment) => segment.split(':'))
    .filter((segment) => segment !== '' && segment !== '.' && segment !== '..');

  let containerId: string | undefined;
  let podUid: string | undefined;
  let conmonOf: string | undefined;
  const outerContainerIds: string[] = [];
  let phase: Phase = 'inner';

  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i] ?? '';
    const pod = POD_SEGMENT.exec(segment)?.[1];
    const container = CONTAINER_SEGMENT.exec(segment)?.[1];
    const conmon = CONMON_SEGMENT.exec(segment)?.[1];
    if (phase === 'outer') {
      if (container !== undefined) outerContainerIds.push(container);
    } else if (pod !== undefined) {
      // The first pod met going outwards is the caller's; a process sitting directly in a pod
      // cgroup (no container below it) gets a pod UID but no container id.
      podUid = pod.replaceAll('_', '-');
      phase = 'outer';
    } else if (phase === 'inner' && conmon !== undefined) {
      conmonOf = conmon;
      phase = 'pod-search';
    } else if (container !== undefined) {
      if (phase === 'inner') containerId = container;
      else outerContainerIds.push(container);
      phase = 'pod-search';
    }
    // Anything else is a sub-cgroup inside the container or a slice around the pod.
  }
  return {
    ...(containerId === undefined ? {} : { containerId }),
    ...(podUid === undefined ? {} : { podUid }),
    ...(conmonOf === undefined ? {} : { conmonOf }),
    outerContainerIds,
    isEmpty: segments.length === 0,
  };
}

/** One line of /proc/<pid>/cgroup: `hierarchy-id:controllers:path` (v2 is `0::path`). */
export interface CgroupLine {
  readonly text: string;
  readonly hierarchyId: number;
  readonly controllers: string;
  readonly path: string;
}

/**
 * Parses the whole file. The kernel writes it, so a line that is not of the documented shape
 * means the file is not what it claims to be: fail closed.
 */
export function parseCgroupFile(text: string): CgroupLine[] {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines.map((line, index) => {
    const match = CGROUP_LINE.exec(line);
    const path = match?.[3];
    if (match === null || path === undefined || !path.startsWith('/')) {
      throw new AttestationError('not-a-workload', `cgroup line ${index + 1} is malformed: ${JSON.stringify(line)}`);
    }
    return { text: line, hierarchyId: Number(match[1]), controllers: match[2] ?? '', path };
  });
}
