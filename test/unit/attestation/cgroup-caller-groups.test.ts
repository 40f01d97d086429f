import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CgroupCallerGroups } from '../../../src/attestation/index.js';
import type { Peer } from '../../../src/peer/index.js';
import { TempProcRoot, fixture } from './temp-proc-root.js';

// Which budget a caller's connections count against, from its cgroup at accept. A process that
// moved itself below its own container under another pod's names gets no identity, and its
// connections still count against its own pod: neither the other pod's nor a shared uid's.

const OWN_POD = '7c1e2f30-5b4a-4c69-9d87-b6a5c4d3e2f1'; // the outer pod of the nested fixtures
const POD = '5ae96034-1993-4ba8-8cdb-f041eccb4400';

describe('CgroupCallerGroups', () => {
  let proc: TempProcRoot;
  let nextPid = 2000;
  beforeAll(async () => {
    proc = await TempProcRoot.create();
  });
  afterAll(async () => {
    await proc.remove();
  });

  const groupOf = async (cgroup: string) => {
    const pid = nextPid++;
    await proc.write(pid, 'cgroup', cgroup);
    const peer: Peer = { connectionId: 'c1', credentials: { pid, uid: 1000, gid: 1000 }, isStillAlive: async () => true };
    return new CgroupCallerGroups(proc.root).groupOf(peer, new AbortController().signal);
  };

  const cases: { name: string; cgroup: string; expect: string }[] = [
    { name: 'counts a process in a pod against its pod', cgroup: 'cgroup-v2-systemd-containerd.txt', expect: `pod ${POD}` },
    { name: 'counts a process nested below its container against its own (outer) pod', cgroup: 'cgroup-nested-pod-in-pod.txt', expect: `pod ${OWN_POD}` },
    { name: 'counts a container nested in its container against its own pod', cgroup: 'cgroup-nested-container-in-container.txt', expect: `pod ${OWN_POD}` },
    { name: 'counts a pod cgroup outside kubepods (a host user’s slice) by uid', cgroup: 'cgroup-pod-outside-kubepods.txt', expect: 'uid 1000' },
    { name: 'counts a host process by uid', cgroup: 'cgroup-not-in-pod.txt', expect: 'uid 1000' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      expect(await groupOf(fixture(c.cgroup))).toBe(c.expect);
    });
  }
});
