import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AttestationError } from '../../../../src/attestation/index.js';
import { DEFAULT_LOCATE_OPTIONS, MAX_CGROUP_BYTES, locateContainer } from '../../../../src/attestation/cgroup/index.js';
import type { CgroupLayout } from '../../../../src/attestation/cgroup/index.js';
import { TraceRecorder } from '../../../../src/attestation/attestation-trace.js';
import { TempProcRoot, fixture } from '../temp-proc-root.js';

// Ids written into the fixtures (test/fixtures/cgroup/), one set per layout.
const U1 = '5ae96034-1993-4ba8-8cdb-f041eccb4400';
const C1 = '0588440398cf5a1865bb26d06e9915aee403580cc63ee4fe28edb6277dd2b9ce';
const U2 = 'ed91be19-a1b4-4ee7-b756-4f5a2fbf6997';
const C2 = '347170b2f06f6043bafa34414d10660a8f8bdf25f3ea0cdbcd40394b4eeb4519';
const U3 = 'a75a252b-8d30-4367-a7c9-b0d5fb35756c';
const C3 = '259dc2603f55cc86b392c120969f02fd2fb9bcd8c3a050cf46d26f3e617a2aa4';
const U4 = 'abb021c9-20b5-4234-8a9d-0e918cc1c483';
const C4 = '814d6515e9e0275f36d09998d6f57e9fdf69faec24b769c6f7999ce8f038d925';
const KIND_NODE = '02c5fdc68631e8cc4736c56b2a10a49eb587cf6267b84ff3eb0fd1bcb8387557';
const U5 = 'b80958fb-09ea-47eb-8d68-98553bccbf0f';
const C5 = 'cd4f8e9046abde05a40c617d247c9ce239e1bbaac7967b2120f021ae9e8c39d7';
const C6 = '16323f57a863c701a54f827efcf2a45c0f4d3d135a8d776a300a6ef525a749cc';
// The attacker's own pod and container in the nested fixtures (the victim is U1/C1).
const ATTACKER_POD = '7c1e2f30-5b4a-4c69-9d87-b6a5c4d3e2f1';

type Expect =
  | { kind: 'pod'; containerId: string; podUid: string | undefined; source?: 'cgroup' | 'mountinfo' }
  | { kind: 'not-a-pod'; reason: RegExp }
  | { kind: 'error'; message: RegExp };

interface Case {
  name: string;
  cgroup: string;
  mountinfo?: string;
  /** The kubelet's layout unless the case is about nested nodes (attestation.nestedNodes). */
  layout?: CgroupLayout;
  expect: Expect;
}

const pod = (containerId: string, podUid: string | undefined, source: 'cgroup' | 'mountinfo' = 'cgroup'): Expect => ({
  kind: 'pod',
  containerId,
  podUid,
  source,
});

const cases: Case[] = [
  { name: 'finds the container on cgroup v2 with the systemd driver and containerd', cgroup: 'cgroup-v2-systemd-containerd.txt', expect: pod(C1, U1) },
  { name: 'finds the container on cgroup v2 with the cgroupfs driver and containerd', cgroup: 'cgroup-v2-cgroupfs-containerd.txt', expect: pod(C1, U1) },
  { name: 'finds the container of a guaranteed pod, which has no QoS slice', cgroup: 'cgroup-v2-systemd-guaranteed.txt', expect: pod(C1, U1) },
  { name: "finds the container in containerd's slice:prefix:id form on cgroup v1", cgroup: 'cgroup-v1-systemd-containerd-colon.txt', expect: pod(C1, U1) },
  { name: 'finds the container on cgroup v1 with the cgroupfs driver and docker', cgroup: 'cgroup-v1-cgroupfs-docker.txt', expect: pod(C2, U2) },
  { name: 'finds the container on cgroup v1 with the systemd driver and docker', cgroup: 'cgroup-v1-systemd-docker.txt', expect: pod(C2, U2) },
  { name: 'finds the container of cri-o on cgroup v2', cgroup: 'cgroup-v2-crio.txt', expect: pod(C3, U3) },
  { name: 'finds the container of cri-o on cgroup v1 with cgroupfs', cgroup: 'cgroup-v1-cgroupfs-crio.txt', expect: pod(C3, U3) },
  { name: "reports cri-o's conmon monitor as not a pod, since it is not the container", cgroup: 'cgroup-v2-crio-conmon.txt', expect: { kind: 'not-a-pod', reason: /conmon monitor of container 259dc/ } },
  { name: 'finds the innermost container of a pod inside a kind node on cgroup v2', cgroup: 'cgroup-kind-nested.txt', expect: pod(C4, U4) },
  { name: 'finds the innermost container of a pod inside a kind node on a cgroup v1 hybrid host', cgroup: 'cgroup-kind-nested-v1-hybrid.txt', expect: pod(C4, U4) },
  { name: "leaves a kind node's own process to the kubelet, with no pod uid", cgroup: 'cgroup-kind-node-process.txt', expect: pod(KIND_NODE, undefined) },
  { name: 'leaves a docker container outside kubernetes to the kubelet, with no pod uid', cgroup: 'cgroup-standalone-docker.txt', expect: pod(C6, undefined) },
  { name: 'finds the container in a path relative to the reader’s cgroup namespace', cgroup: 'cgroup-namespace-relative.txt', expect: pod(C5, U5) },
  { name: 'finds a sibling container of the reader’s own pod without its pod uid', cgroup: 'cgroup-namespace-relative-same-pod.txt', expect: pod(C5, undefined) },
  {
    name: 'falls back to mountinfo when the cgroup file shows only the namespace root',
    cgroup: 'cgroup-namespace-root-with-mountinfo.txt',
    mountinfo: 'mountinfo-namespace-root.txt',
    expect: pod(C5, U5, 'mountinfo'),
  },
  {
    name: 'reports the namespace root with only the host’s mounts as not a pod',
    cgroup: 'cgroup-namespace-root-with-mountinfo.txt',
    mountinfo: 'mountinfo-host.txt',
    expect: { kind: 'not-a-pod', reason: /mountinfo names no container/ },
  },
  { name: 'reports a login shell on the node as not a pod (cgroup v2)', cgroup: 'cgroup-not-in-pod.txt', expect: { kind: 'not-a-pod', reason: /not in a container/ } },
  { name: 'reports a login shell on the node as not a pod (cgroup v1)', cgroup: 'cgroup-v1-not-in-pod.txt', expect: { kind: 'not-a-pod', reason: /not in a container/ } },
  { name: 'fails closed when lines name two containers', cgroup: 'cgroup-conflicting-ids.txt', expect: { kind: 'error', message: /conflicting container ids/ } },
  { name: 'fails closed when lines name two pods', cgroup: 'cgroup-conflicting-pod-uids.txt', expect: { kind: 'error', message: /conflicting pod uids/ } },
  // A pod that can write its cgroupfs (privileged, Sysbox, some build pods) can create cgroups
  // below its own container named like another pod's: never the caller's pod on a plain node.
  {
    name: "refuses a pod nested in another pod's container (the attacker's own pod is the outer one)",
    cgroup: 'cgroup-nested-pod-in-pod.txt',
    expect: { kind: 'error', message: new RegExp(`nests pod ${U1} inside pod ${ATTACKER_POD}`) },
  },
  {
    name: "refuses a container nested in another container's cgroup",
    cgroup: 'cgroup-nested-container-in-container.txt',
    expect: { kind: 'error', message: new RegExp(`nests container ${C1} inside pod ${ATTACKER_POD}`) },
  },
  { name: 'refuses a nested pod on every cgroup v1 line', cgroup: 'cgroup-v1-nested-pod-in-pod.txt', expect: { kind: 'error', message: /nests pod/ } },
  {
    name: 'refuses a nested pod seen through the cgroup mount root',
    cgroup: 'cgroup-namespace-root-with-mountinfo.txt',
    mountinfo: 'mountinfo-nested-pod-in-pod.txt',
    expect: { kind: 'error', message: new RegExp(`nests pod ${U1} inside pod ${ATTACKER_POD}`) },
  },
  {
    name: "refuses a pod cgroup outside the kubelet's kubepods tree (a delegated user slice)",
    cgroup: 'cgroup-pod-outside-kubepods.txt',
    expect: { kind: 'error', message: new RegExp(`puts pod ${U1} outside the kubelet's kubepods cgroups`) },
  },
  { name: 'refuses a kind node that itself runs in a pod, unless nested nodes are set', cgroup: 'cgroup-kind-node-in-pod.txt', expect: { kind: 'error', message: new RegExp(`nests pod ${U1} inside pod ${ATTACKER_POD}`) } },
  { name: 'takes the innermost pod of a kind node that runs in a pod, with nested nodes set', cgroup: 'cgroup-kind-node-in-pod.txt', layout: 'nested', expect: pod(C1, U1) },
  { name: 'takes the innermost pod of a nested path, with nested nodes set', cgroup: 'cgroup-nested-pod-in-pod.txt', layout: 'nested', expect: pod(C1, U1) },
  { name: 'still finds an ordinary container with nested nodes set', cgroup: 'cgroup-v2-systemd-containerd.txt', layout: 'nested', expect: pod(C1, U1) },
];

describe('locateContainer', () => {
  let proc: TempProcRoot;
  let nextPid = 1000;

  beforeAll(async () => {
    proc = await TempProcRoot.create();
  });
  afterAll(async () => {
    await proc.remove();
  });

  async function layout(cgroup: string, mountinfo?: string): Promise<number> {
    const pid = nextPid++;
    await proc.write(pid, 'cgroup', cgroup);
    if (mountinfo !== undefined) await proc.write(pid, 'mountinfo', mountinfo);
    return pid;
  }

  for (const c of cases) {
    it(c.name, async () => {
      const pid = await layout(fixture(c.cgroup), c.mountinfo === undefined ? undefined : fixture(c.mountinfo));
      const result = locateContainer(proc.root, pid, new TraceRecorder(), { ...DEFAULT_LOCATE_OPTIONS, layout: c.layout ?? 'kubelet' });
      if (c.expect.kind === 'error') {
        await expect(result).rejects.toMatchObject({ code: 'not-a-workload', message: expect.stringMatching(c.expect.message) });
        return;
      }
      const location = await result;
      const lines = fixture(c.cgroup).trim().split('\n');
      if (c.expect.kind === 'pod') {
        expect(location).toEqual({
          kind: 'pod',
          containerId: c.expect.containerId,
          ...(c.expect.podUid === undefined ? {} : { podUid: c.expect.podUid }),
          source: c.expect.source,
          lines,
        });
      } else {
        expect(location).toMatchObject({ kind: 'not-a-pod', lines });
        expect(location.kind === 'not-a-pod' ? location.reason : '').toMatch(c.expect.reason);
      }
    });
  }

  it('does not read mountinfo when the cgroup file names a container', async () => {
    const pid = await layout(fixture('cgroup-v2-systemd-containerd.txt'), 'not a mountinfo file');
    const trace = new TraceRecorder();
    await locateContainer(proc.root, pid, trace);
    expect(trace.steps.map((s) => s.step)).toEqual(['read-cgroup', 'locate-container']);
  });

  it('does not read mountinfo for a process that is plainly outside any container', async () => {
    const pid = await layout(fixture('cgroup-not-in-pod.txt'), fixture('mountinfo-namespace-root.txt'));
    expect(await locateContainer(proc.root, pid)).toMatchObject({ kind: 'not-a-pod' });
  });

  it('records the lines read and the mount roots used on the trace', async () => {
    const pid = await layout(fixture('cgroup-namespace-root-with-mountinfo.txt'), fixture('mountinfo-namespace-root.txt'));
    const trace = new TraceRecorder();
    await locateContainer(proc.root, pid, trace);
    expect(trace.steps.map((s) => [s.step, s.ok])).toEqual([
      ['read-cgroup', true],
      ['read-mountinfo', true],
      ['locate-container', true],
    ]);
    expect(trace.steps[0]?.detail['lines']).toEqual(['0::/']);
    expect(trace.steps[1]?.detail['roots']).toEqual(expect.arrayContaining([`/var/lib/kubelet/pods/${U5}/etc-hosts`]));
  });

  it('reports a process whose /proc entry is gone as unavailable', async () => {
    const error = await locateContainer(proc.root, 999_999).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttestationError);
    expect(error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/process 999999 is gone/) });
  });

  it('fails closed on a cgroup file larger than the read bound', async () => {
    const line = `0::/kubepods/besteffort/pod${U1}/${C1}\n`;
    const pid = await layout(line.repeat(Math.ceil(MAX_CGROUP_BYTES / line.length) + 1));
    await expect(locateContainer(proc.root, pid)).rejects.toMatchObject({ code: 'not-a-workload', message: expect.stringMatching(/larger than 65536 bytes/) });
  });

  it('counts a cgroup file over the configured bound as a refused read', async () => {
    const pid = await layout(`0::/kubepods/besteffort/pod${U1}/${C1}\n`);
    const refused: string[] = [];
    const options = { ...DEFAULT_LOCATE_OPTIONS, maxCgroupBytes: 16, onRefusedRead: (file: string, reason: string) => void refused.push(`${file} ${reason}`) };
    await expect(locateContainer(proc.root, pid, new TraceRecorder(), options)).rejects.toMatchObject({ code: 'not-a-workload', message: expect.stringMatching(/larger than 16 bytes/) });
    expect(refused).toEqual(['cgroup too-large']);
  });

  it('refuses a cgroup file that is a symlink or not a regular file, without reading it', async () => {
    const refused: string[] = [];
    const options = { ...DEFAULT_LOCATE_OPTIONS, onRefusedRead: (file: string, reason: string) => void refused.push(`${file} ${reason}`) };
    const linked = await layout('unused');
    await rm(join(proc.root, String(linked), 'cgroup'));
    await symlink('/proc/self/cgroup', join(proc.root, String(linked), 'cgroup'));
    await expect(locateContainer(proc.root, linked, new TraceRecorder(), options)).rejects.toMatchObject({ code: 'not-a-workload', message: expect.stringMatching(/is a symlink/) });
    const fifo = await layout('unused');
    await rm(join(proc.root, String(fifo), 'cgroup'));
    execFileSync('mkfifo', [join(proc.root, String(fifo), 'cgroup')]);
    await expect(locateContainer(proc.root, fifo, new TraceRecorder(), options)).rejects.toMatchObject({ code: 'not-a-workload', message: expect.stringMatching(/not a regular file/) });
    expect(refused).toEqual(['cgroup not-a-regular-file', 'cgroup not-a-regular-file']);
  });

  it('fails closed on a malformed cgroup line', async () => {
    const pid = await layout(`0::/kubepods/besteffort/pod${U1}/${C1}\nnot a cgroup line\n`);
    const trace = new TraceRecorder();
    await expect(locateContainer(proc.root, pid, trace)).rejects.toMatchObject({ code: 'not-a-workload', message: expect.stringMatching(/line 2 is malformed/) });
    expect(trace.failure).toMatchObject({ step: 'read-cgroup', code: 'not-a-workload' });
  });
});
