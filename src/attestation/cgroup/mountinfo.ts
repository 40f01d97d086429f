import { AttestationError } from '../attestation-error.js';
import { combineCgroupPaths } from './combine-cgroup-paths.js';
import type { CgroupVerdict } from './combine-cgroup-paths.js';
import type { CgroupLayout } from './parse-cgroup.js';

/** The fields of one /proc/<pid>/mountinfo line that locating a container needs. */
export interface MountEntry {
  /** The directory of the mounted filesystem that is mounted here (field 4). */
  readonly root: string;
  readonly mountPoint: string;
  readonly fsType: string;
}

// A pod's own files under the kubelet's pods dir (`<root-dir>/pods/<uid>/...`): /etc/hosts,
// disk-backed volumes, the termination log. Matched on the part after the root dir so that a
// kubelet with a custom --root-dir is found too.
const KUBELET_POD_PATH =
  /(?:^|\/)pods\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})\/(?:volumes|volume-subpaths|containers|etc-hosts|plugins)(?:\/|$)/;

/** Parses mountinfo (proc(5)): `id parent major:minor root mount-point options [tags] - type source super`. */
export function parseMountinfo(text: string): MountEntry[] {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines.map((line, index) => {
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    const root = fields[3];
    const mountPoint = fields[4];
    const fsType = separator < 0 ? undefined : fields[separator + 1];
    if (root === undefined || mountPoint === undefined || fsType === undefined) {
      throw new AttestationError('not-a-workload', `mountinfo line ${index + 1} is malformed`);
    }
    return { root: unescapeOctal(root), mountPoint: unescapeOctal(mountPoint), fsType };
  });
}

/** The kernel writes space, tab, newline and backslash in paths as `\ooo`. */
function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export interface MountVerdict {
  readonly verdict: CgroupVerdict;
  /** The mount roots the verdict rests on, for the debug trace. */
  readonly roots: readonly string[];
}

/**
 * Where a process sits when its cgroup file shows only `/` (a cgroup namespace hides the
 * path). Inside the container, the cgroup filesystem is mounted with the container's own cgroup
 * as its root, so the cgroup mount roots carry the same path the cgroup file would have shown.
 * The kubelet pods dir in other mount roots adds the pod UID.
 *
 * Container ids are taken only from cgroup mount roots: the runtimes' own directories that
 * show up as mount roots (hostname, resolv.conf) belong to the pod sandbox, not the container.
 * Mounts whose mount point is itself under a kubelet pods dir are the kubelet's host-side
 * mounts (volumes, subPaths) and say nothing about this process.
 */
export function locateInMounts(entries: readonly MountEntry[], layout: CgroupLayout = 'kubelet'): MountVerdict {
  const cgroupRoots = entries.filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2').map((m) => m.root);
  const podRoots = entries.filter((m) => isPodOwnMount(m)).map((m) => m.root);
  const roots = [...cgroupRoots, ...podRoots];

  const fromCgroup: CgroupVerdict =
    cgroupRoots.length === 0
      ? { kind: 'no-container', reason: 'mountinfo has no cgroup mounts', saysNothing: true }
      : combineCgroupPaths(cgroupRoots, 'cgroup mount roots', layout);

  const podUids = [...new Set(podRoots.map((root) => KUBELET_POD_PATH.exec(root)?.[1] ?? ''))];
  if (podUids.length > 1) {
    throw new AttestationError('not-a-workload', `mount roots name conflicting pod uids ${podUids.join(', ')}`);
  }
  const kubeletPodUid = podUids[0];

  if (fromCgroup.kind === 'no-container') {
    const reason = `mountinfo names no container (${fromCgroup.reason})`;
    return { verdict: { kind: 'no-container', reason, saysNothing: false }, roots };
  }
  if (fromCgroup.podUid !== undefined && kubeletPodUid !== undefined && fromCgroup.podUid !== kubeletPodUid) {
    throw new AttestationError(
      'not-a-workload',
      `mount roots name conflicting pod uids ${fromCgroup.podUid} (cgroup) and ${kubeletPodUid} (kubelet pods dir)`,
    );
  }
  const podUid = fromCgroup.podUid ?? kubeletPodUid;
  return { verdict: { kind: 'container', containerId: fromCgroup.containerId, ...(podUid === undefined ? {} : { podUid }) }, roots };
}

function isPodOwnMount(mount: MountEntry): boolean {
  return KUBELET_POD_PATH.test(mount.root) && !KUBELET_POD_PATH.test(mount.mountPoint);
}
