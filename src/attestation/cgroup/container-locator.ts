import { AttestationError } from '../attestation-error.js';
import { TraceRecorder } from '../attestation-trace.js';
import { combineCgroupPaths } from './combine-cgroup-paths.js';
import type { CgroupVerdict } from './combine-cgroup-paths.js';
import { locateInMounts, parseMountinfo } from './mountinfo.js';
import { parseCgroupFile } from './parse-cgroup.js';
import type { CgroupLayout } from './parse-cgroup.js';
import { MAX_CGROUP_BYTES, MAX_MOUNTINFO_BYTES, procPath, readProcFile } from './proc-files.js';
import type { OnRefusedProcRead } from './proc-files.js';

/** How to read and judge a process's cgroup (config: attestation.*). */
export interface LocateOptions {
  readonly layout: CgroupLayout;
  readonly maxCgroupBytes: number;
  readonly maxMountinfoBytes: number;
  readonly onRefusedRead?: OnRefusedProcRead;
}

export const DEFAULT_LOCATE_OPTIONS: LocateOptions = { layout: 'kubelet', maxCgroupBytes: MAX_CGROUP_BYTES, maxMountinfoBytes: MAX_MOUNTINFO_BYTES };

/**
 * Which container a process runs in, as far as the node's kernel can tell.
 *
 * `pod`: the process is in the container `containerId`. `podUid` is set when the path names the
 * pod; a cgroup namespace can hide it (the path is then relative to the reader), and the
 * kubelet's answer for the container id decides. Nothing here is trusted until the kubelet and
 * the API server have confirmed it.
 *
 * `not-a-pod`: the process is in no container (or is cri-o's conmon); it gets no identity.
 * That is an answer, not an error: the caller sees PermissionDenied.
 */
export type ContainerLocation =
  | {
      readonly kind: 'pod';
      readonly containerId: string;
      readonly podUid?: string;
      readonly source: 'cgroup' | 'mountinfo';
      readonly lines: readonly string[];
    }
  | { readonly kind: 'not-a-pod'; readonly lines: readonly string[]; readonly reason: string };

/**
 * Reads `<procRoot>/<pid>/cgroup`, and `<procRoot>/<pid>/mountinfo` only when every cgroup path
 * is the namespace root. Throws AttestationError: 'unavailable' when the files cannot be read
 * (the process is gone), 'not-a-workload' when the paths contradict each other.
 * Each step is recorded on `trace`, which the debug command prints.
 */
export async function locateContainer(
  procRoot: string,
  pid: number,
  trace: TraceRecorder = new TraceRecorder(),
  options: LocateOptions = DEFAULT_LOCATE_OPTIONS,
): Promise<ContainerLocation> {
  const lines = await readCgroupLines(procRoot, pid, trace, options);
  let verdict: CgroupVerdict;
  let source: 'cgroup' | 'mountinfo' = 'cgroup';
  try {
    verdict = combineCgroupPaths(
      lines.map((line) => line.path),
      'cgroup lines',
      options.layout,
    );
  } catch (error) {
    throw trace.fail('locate-container', error);
  }
  if (verdict.kind === 'no-container' && verdict.saysNothing) {
    verdict = await readMountinfoVerdict(procRoot, pid, trace, options);
    source = 'mountinfo';
  }
  const texts = lines.map((line) => line.text);
  if (verdict.kind === 'no-container') {
    trace.fail('locate-container', new AttestationError('not-a-workload', verdict.reason), { source });
    return { kind: 'not-a-pod', lines: texts, reason: verdict.reason };
  }
  const { containerId, podUid } = verdict;
  trace.ok('locate-container', { source, containerId, podUid: podUid ?? null });
  return { kind: 'pod', containerId, ...(podUid === undefined ? {} : { podUid }), source, lines: texts };
}

async function readCgroupLines(procRoot: string, pid: number, trace: TraceRecorder, options: LocateOptions) {
  const path = procPath(procRoot, pid, 'cgroup');
  try {
    const lines = parseCgroupFile(await readProcFile(procRoot, pid, 'cgroup', options.maxCgroupBytes, options.onRefusedRead));
    trace.ok('read-cgroup', { path, lines: lines.map((line) => line.text) });
    return lines;
  } catch (error) {
    throw trace.fail('read-cgroup', error, { path });
  }
}

async function readMountinfoVerdict(procRoot: string, pid: number, trace: TraceRecorder, options: LocateOptions): Promise<CgroupVerdict> {
  const path = procPath(procRoot, pid, 'mountinfo');
  try {
    const mounts = parseMountinfo(await readProcFile(procRoot, pid, 'mountinfo', options.maxMountinfoBytes, options.onRefusedRead));
    const { verdict, roots } = locateInMounts(mounts, options.layout);
    trace.ok('read-mountinfo', { path, mounts: mounts.length, roots });
    return verdict;
  } catch (error) {
    throw trace.fail('read-mountinfo', error, { path });
  }
}
