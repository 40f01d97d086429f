import { AttestationError } from '../attestation-error.js';

/**
 * What one cgroup path says about the process in it. The container is the one directly below
 * the pod; container cgroups further out are the layers the node is nested in (a kind node's
 * own container) and are never taken as the caller's.
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

/**
 * A path with a pod or container below a pod's own container: refused on the kubelet's layout.
 * `outerPodUid` is the pod whose container the process really is in (the first pod from the
 * root), for counting the caller's connections against its own pod.
 */
export class NestedCgroupError extends AttestationError {
  constructor(
    readonly outerPodUid: string,
    message: string,
  ) {
    super('not-a-workload', message);
  }
}

/**
 * How pods may sit in the cgroup tree.
 * - `kubelet`: as the kubelet lays them out: one pod cgroup and the container directly below it.
 *   A pod or container segment further down, or a second pod segment, is refused: a container
 *   may create cgroups below its own (privileged, Sysbox, build pods), so anything below it is
 *   the workload's own naming and could copy another pod's names.
 * - `nested`: the node itself runs in a pod of another cluster, so pods nest; the innermost pod
 *   and its container are the caller's. Only for such nodes: a pod that can write its cgroupfs
 *   can then name any pod of the inner node.
 */
export type CgroupLayout = 'kubelet' | 'nested';

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
// The kubelet's QoS cgroups, the only parents a pod cgroup has: `kubepods`, `besteffort`,
// `burstable` (cgroupfs), `kubepods-burstable.slice` (systemd), `kubelet-kubepods.slice` (kind).
const KUBEPODS_SEGMENT = /^(?:(?:[a-z0-9]+-)*kubepods(?:-besteffort|-burstable)?(?:\.slice)?|besteffort|burstable)$/;

type Segment =
  | { readonly kind: 'pod'; readonly uid: string }
  | { readonly kind: 'container'; readonly id: string }
  | { readonly kind: 'conmon'; readonly id: string }
  /** `..`: the path is relative to the reader's cgroup namespace and climbs out of it. */
  | { readonly kind: 'up' }
  | { readonly kind: 'other'; readonly name: string };

function classify(segment: string): Segment {
  if (segment === '..') return { kind: 'up' };
  const pod = POD_SEGMENT.exec(segment)?.[1];
  if (pod !== undefined) return { kind: 'pod', uid: pod.replaceAll('_', '-') };
  const conmon = CONMON_SEGMENT.exec(segment)?.[1];
  if (conmon !== undefined) return { kind: 'conmon', id: conmon };
  const container = CONTAINER_SEGMENT.exec(segment)?.[1];
  if (container !== undefined) return { kind: 'container', id: container };
  return { kind: 'other', name: segment };
}

/** Throws AttestationError 'not-a-workload' when `layout` is 'kubelet' and the path nests pods. */
export function parseCgroupPath(path: string, layout: CgroupLayout = 'kubelet'): CgroupPathIds {
  const segments = path
    .split('/')
    .flatMap(splitCgroupsPath)
    .filter((segment) => segment !== '' && segment !== '.')
    .map(classify);
  const pods = segments.filter((s) => s.kind === 'pod').length;
  if (layout === 'kubelet' && pods > 0) return belowFirstPod(segments, path);
  return innermostFirst(segments);
}

/**
 * The systemd driver's cgroupsPath form `<slice>:<prefix>:<id>` can show up verbatim as one
 * segment: it is the slice and the container `<prefix>-<id>`.
 */
function splitCgroupsPath(segment: string): string[] {
  const [slice = '', prefix, ...id] = segment.split(':');
  if (prefix === undefined) return [slice];
  return id.length === 0 ? [slice, prefix] : [slice, `${prefix}-${id.join(':')}`];
}

/**
 * The kubelet's layout: `[outer containers, slices]/<QoS cgroup>/<pod>/<container>[/sub-cgroups]`.
 * The first pod segment from the root is the pod, right below a kubepods QoS cgroup (or at the
 * start of the path: cgroup v1's `<slice>:<prefix>:<id>` form, or a path relative to the
 * reader's namespace); its container must be the next segment.
 */
function belowFirstPod(segments: readonly Segment[], path: string): CgroupPathIds {
  const podAt = segments.findIndex((s) => s.kind === 'pod');
  const pod = segments[podAt] as Extract<Segment, { kind: 'pod' }>;
  const parent = segments[podAt - 1];
  if (parent !== undefined && parent.kind !== 'up' && !(parent.kind === 'other' && KUBEPODS_SEGMENT.test(parent.name))) {
    throw new AttestationError('not-a-workload', `cgroup path puts pod ${pod.uid} outside the kubelet's kubepods cgroups: ${path}`);
  }
  const outerContainerIds = segments.slice(0, podAt).flatMap((s) => (s.kind === 'container' ? [s.id] : []));
  const [own, ...below] = segments.slice(podAt + 1);
  const nested = [...(own?.kind === 'other' ? [own] : []), ...below].find((s) => s.kind === 'pod' || s.kind === 'container' || s.kind === 'conmon');
  if (nested !== undefined) {
    const what = nested.kind === 'pod' ? `pod ${nested.uid}` : `container ${nested.id}`;
    throw new NestedCgroupError(
      pod.uid,
      `cgroup path nests ${what} inside pod ${pod.uid}, which the kubelet never does (set attestation.nestedNodes only on nodes that run inside pods): ${path}`,
    );
  }
  return {
    ...(own?.kind === 'container' ? { containerId: own.id } : {}),
    podUid: pod.uid,
    ...(own?.kind === 'conmon' ? { conmonOf: own.id } : {}),
    outerContainerIds,
    isEmpty: false,
  };
}

type Phase = 'inner' | 'pod-search' | 'outer';

/**
 * Paths without a pod (read relative to the reader's cgroup namespace, or outside Kubernetes),
 * and nested nodes: read innermost first; the innermost container is the caller's, the first
 * pod met going outwards is its pod, containers further out are outer layers.
 */
function innermostFirst(segments: readonly Segment[]): CgroupPathIds {
  let containerId: string | undefined;
  let podUid: string | undefined;
  let conmonOf: string | undefined;
  const outerContainerIds: string[] = [];
  let phase: Phase = 'inner';

  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i];
    if (segment === undefined) continue;
    if (phase === 'outer') {
      if (segment.kind === 'container') outerContainerIds.push(segment.id);
    } else if (segment.kind === 'pod') {
      // A process sitting directly in a pod cgroup (no container below it) gets a pod UID but
      // no container id.
      podUid = segment.uid;
      phase = 'outer';
    } else if (phase === 'inner' && segment.kind === 'conmon') {
      conmonOf = segment.id;
      phase = 'pod-search';
    } else if (segment.kind === 'container') {
      if (phase === 'inner') containerId = segment.id;
      else outerContainerIds.push(segment.id);
      phase = 'pod-search';
    }
    // Anything else is a sub-cgroup inside the container or a slice around the pod.
  }
  return {
    ...(containerId === undefined ? {} : { containerId }),
    ...(podUid === undefined ? {} : { podUid }),
    ...(conmonOf === undefined ? {} : { conmonOf }),
    outerContainerIds,
    isEmpty: segments.every((s) => s.kind === 'up'),
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
