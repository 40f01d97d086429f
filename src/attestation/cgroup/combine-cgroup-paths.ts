import { AttestationError } from '../attestation-error.js';
import { parseCgroupPath } from './parse-cgroup.js';
import type { CgroupLayout } from './parse-cgroup.js';

/** What a set of cgroup paths (the lines of one cgroup file, or cgroup mount roots) agree on. */
export type CgroupVerdict =
  | { readonly kind: 'container'; readonly containerId: string; readonly podUid?: string }
  | {
      readonly kind: 'no-container';
      readonly reason: string;
      /** Every path was the cgroup namespace root: the cgroup file could not tell, look elsewhere. */
      readonly saysNothing: boolean;
    };

/**
 * Combines the paths of one source. cgroup v1 repeats the container in one line per controller
 * and hybrid setups add a `0::` line that may show an outer layer instead (kind on a
 * cgroup v1 host shows the node container's `containerd.service` there). A container id that
 * another path shows as an outer layer is therefore ignored; any other disagreement between
 * paths fails closed, because a caller must never be matched to a container it is not in.
 *
 * `what` names the source in messages ("cgroup lines", "cgroup mount roots"). A path that
 * breaks `layout` (see CgroupLayout) fails the whole set.
 */
export function combineCgroupPaths(paths: readonly string[], what: string, layout: CgroupLayout = 'kubelet'): CgroupVerdict {
  const ids = paths.map((path) => parseCgroupPath(path, layout));

  const podUids = distinct(ids.map((id) => id.podUid));
  if (podUids.length > 1) throw conflict(`${what} name conflicting pod uids ${podUids.join(', ')}`);
  const podUid = podUids[0];

  const outer = new Set(ids.flatMap((id) => id.outerContainerIds));
  const containerIds = distinct(ids.map((id) => id.containerId)).filter((id) => !outer.has(id));
  if (containerIds.length > 1) throw conflict(`${what} name conflicting container ids ${containerIds.join(', ')}`);
  const containerId = containerIds[0];

  const conmonOf = distinct(ids.map((id) => id.conmonOf));
  if (conmonOf.length > 0) {
    if (containerId !== undefined) {
      throw conflict(`${what} name both container ${containerId} and the conmon monitor of ${conmonOf.join(', ')}`);
    }
    // conmon runs in its own cgroup next to the container it watches; it is not the workload.
    return noContainer(`process is the cri-o conmon monitor of container ${conmonOf.join(', ')}, not a container`);
  }

  if (containerId !== undefined) {
    return { kind: 'container', containerId, ...(podUid === undefined ? {} : { podUid }) };
  }
  if (podUid !== undefined) return noContainer(`process is in the cgroup of pod ${podUid} but in none of its containers`);
  if (ids.every((id) => id.isEmpty)) {
    return noContainer(`${what} show only the cgroup namespace root`, true);
  }
  return noContainer(`process is not in a container (${what}: ${[...new Set(paths)].join(' ')})`);
}

function noContainer(reason: string, saysNothing = false): CgroupVerdict {
  return { kind: 'no-container', reason, saysNothing };
}

function conflict(message: string): AttestationError {
  return new AttestationError('not-a-workload', message);
}

function distinct(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((value): value is string => value !== undefined))];
}
