import { describe, expect, it } from '@jest/globals';
import { combineCgroupPaths, parseCgroupFile, parseCgroupPath } from '../../../../src/attestation/cgroup/index.js';

const UID = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
const UID_ = UID.replaceAll('-', '_');
const ID = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const STATIC_UID = 'c'.repeat(32);

describe('parseCgroupPath', () => {
  const cases: { name: string; path: string; expect: Record<string, unknown> }[] = [
    { name: 'turns the systemd driver’s underscores back into dashes', path: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/cri-containerd-${ID}.scope`, expect: { containerId: ID, podUid: UID } },
    { name: 'accepts a static pod’s 32-hex uid', path: `/kubepods/burstable/pod${STATIC_UID}/${ID}`, expect: { containerId: ID, podUid: STATIC_UID } },
    { name: 'keeps the container when the process sits in a sub-cgroup of it', path: `/kubepods/besteffort/pod${UID}/crio-${ID}.scope/container`, expect: { containerId: ID, podUid: UID } },
    { name: 'gives a pod uid but no container for a process in the pod cgroup itself', path: `/docker/${OTHER}/kubepods/besteffort/pod${UID}`, expect: { containerId: undefined, podUid: UID, outerContainerIds: [OTHER] } },
    { name: 'takes the innermost container and keeps outer ones apart', path: `/docker/${OTHER}/kubepods/besteffort/pod${UID}/${ID}`, expect: { containerId: ID, podUid: UID, outerContainerIds: [OTHER] } },
    { name: 'never takes the conmon scope as the container', path: `/kubepods.slice/kubepods-pod${UID_}.slice/crio-conmon-${ID}.scope`, expect: { containerId: undefined, conmonOf: ID, podUid: UID } },
    { name: 'ignores ids that are not 64 hex digits', path: `/system.slice/docker-${'a'.repeat(63)}.scope`, expect: { containerId: undefined, isEmpty: false } },
    { name: 'ignores an uppercase pod uid the kubelet never writes', path: `/kubepods/pod${UID.toUpperCase()}/${ID}`, expect: { containerId: ID, podUid: undefined } },
    { name: 'treats the namespace root as saying nothing', path: '/', expect: { containerId: undefined, isEmpty: true } },
    { name: 'treats a path of only parent steps as saying nothing', path: '/../..', expect: { isEmpty: true } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ids = parseCgroupPath(c.path);
      for (const [key, value] of Object.entries(c.expect)) expect([key, ids[key as keyof typeof ids]]).toEqual([key, value]);
    });
  }
});

describe('parseCgroupPath on the kubelet layout', () => {
  const refused: { name: string; path: string; message: RegExp }[] = [
    { name: 'a second pod below the pod’s container', path: `/kubepods/pod${UID}/${ID}/kubepods/besteffort/pod${STATIC_UID}/${OTHER}`, message: new RegExp(`nests pod ${STATIC_UID} inside pod ${UID}`) },
    { name: 'a container below the pod’s container', path: `/kubepods/pod${UID}/${ID}/sub/${OTHER}`, message: new RegExp(`nests container ${OTHER} inside pod ${UID}`) },
    { name: 'a container below a sub-cgroup of the pod', path: `/kubepods/pod${UID}/sub/${ID}`, message: new RegExp(`nests container ${ID}`) },
    { name: 'a conmon scope below the pod’s container', path: `/kubepods/pod${UID}/${ID}/crio-conmon-${OTHER}.scope`, message: /nests container/ },
    { name: 'a pod under a cgroup that is not a kubepods QoS cgroup', path: `/system.slice/kubepods-pod${UID_}.slice/cri-containerd-${ID}.scope`, message: /outside the kubelet's kubepods cgroups/ },
  ];
  for (const c of refused) {
    it(`refuses ${c.name}`, () => {
      expect(() => parseCgroupPath(c.path)).toThrow(c.message);
    });
    it(`takes the innermost pod of ${c.name} on nested nodes`, () => {
      expect(() => parseCgroupPath(c.path, 'nested')).not.toThrow();
    });
  }

  it('accepts sub-cgroups the container makes below itself', () => {
    expect(parseCgroupPath(`/kubepods/pod${UID}/${ID}/init.scope/user.slice`)).toMatchObject({ containerId: ID, podUid: UID });
  });

  it('accepts a pod at the start of a path relative to the reader’s namespace', () => {
    expect(parseCgroupPath(`/../../kubepods-besteffort-pod${UID_}.slice/cri-containerd-${ID}.scope`)).toMatchObject({ containerId: ID, podUid: UID });
  });
});

describe('combineCgroupPaths', () => {
  it('ignores a line that shows only the node container around the pod', () => {
    const verdict = combineCgroupPaths([`/docker/${OTHER}/kubepods/pod${UID}/${ID}`, `/docker/${OTHER}/system.slice/containerd.service`], 'cgroup lines');
    expect(verdict).toEqual({ kind: 'container', containerId: ID, podUid: UID });
  });

  it('fails closed when a line without a pod names an unrelated container', () => {
    expect(() => combineCgroupPaths([`/kubepods/pod${UID}/${ID}`, `/system.slice/docker-${OTHER}.scope`], 'cgroup lines')).toThrow(
      /cgroup lines name conflicting container ids/,
    );
  });

  it('fails closed when one line shows conmon and another a container', () => {
    expect(() => combineCgroupPaths([`/kubepods/pod${UID}/crio-conmon-${OTHER}`, `/kubepods/pod${UID}/crio-${ID}`], 'cgroup lines')).toThrow(/conmon/);
  });

  it('reports a process in the pod cgroup but in no container as not in a container', () => {
    expect(combineCgroupPaths([`/kubepods/besteffort/pod${UID}`], 'cgroup lines')).toMatchObject({ kind: 'no-container', reason: expect.stringMatching(/none of its containers/) });
  });

  it('marks only namespace-root lines as saying nothing', () => {
    expect(combineCgroupPaths(['/', '/'], 'cgroup lines')).toMatchObject({ kind: 'no-container', saysNothing: true });
    expect(combineCgroupPaths(['/', '/init.scope'], 'cgroup lines')).toMatchObject({ kind: 'no-container', saysNothing: false });
  });
});

describe('parseCgroupFile', () => {
  it('keeps colons inside the path', () => {
    const [line] = parseCgroupFile(`1:name=systemd:/kubepods-besteffort-pod${UID_}.slice:cri-containerd:${ID}\n`);
    expect(line).toMatchObject({ hierarchyId: 1, controllers: 'name=systemd', path: `/kubepods-besteffort-pod${UID_}.slice:cri-containerd:${ID}` });
  });

  it('rejects a path that is not absolute', () => {
    expect(() => parseCgroupFile('0::kubepods\n')).toThrow(/line 1 is malformed/);
  });
});
