import { describe, expect, it } from '@jest/globals';
import { locateInMounts, parseMountinfo } from '../../../../src/attestation/cgroup/index.js';
import type { MountEntry } from '../../../../src/attestation/cgroup/index.js';
import { fixture } from '../temp-proc-root.js';

const UID = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
const OTHER_UID = '11111111-2222-4333-8444-555555555555';
const ID = 'a'.repeat(64);

const cgroupMount = (root: string): MountEntry => ({ root, mountPoint: '/sys/fs/cgroup', fsType: 'cgroup2' });
const fileMount = (root: string, mountPoint: string): MountEntry => ({ root, mountPoint, fsType: 'ext4' });

describe('parseMountinfo', () => {
  it('reads root, mount point and type, with or without optional tags', () => {
    const entries = parseMountinfo(fixture('mountinfo-namespace-root.txt'));
    expect(entries[0]).toEqual({ root: '/', mountPoint: '/', fsType: 'overlay' });
    expect(entries).toContainEqual({ root: '/', mountPoint: '/proc', fsType: 'proc' });
  });

  it('decodes the octal escapes the kernel writes for spaces', () => {
    const [entry] = parseMountinfo('30 22 259:1 /data/my\\040dir /mnt/a\\040b rw - ext4 /dev/sda1 rw\n');
    expect(entry).toEqual({ root: '/data/my dir', mountPoint: '/mnt/a b', fsType: 'ext4' });
  });

  it('fails closed on a line without the separator', () => {
    expect(() => parseMountinfo('30 22 259:1 / / rw ext4 /dev/sda1 rw\n')).toThrow(/mountinfo line 1 is malformed/);
  });
});

describe('locateInMounts', () => {
  it('takes the container from the cgroup mount root and the pod uid from the kubelet pods dir', () => {
    const { verdict } = locateInMounts([
      cgroupMount(`/../${ID}`),
      fileMount(`/var/lib/kubelet/pods/${UID}/etc-hosts`, '/etc/hosts'),
    ]);
    expect(verdict).toEqual({ kind: 'container', containerId: ID, podUid: UID });
  });

  it('finds a kubelet with a custom root dir', () => {
    const { verdict } = locateInMounts([cgroupMount(`/../${ID}`), fileMount(`/data/k8s/pods/${UID}/volumes/kubernetes.io~empty-dir/x`, '/x')]);
    expect(verdict).toMatchObject({ podUid: UID });
  });

  it('fails closed when the kubelet pods dir and the cgroup root name different pods', () => {
    expect(() =>
      locateInMounts([cgroupMount(`/kubepods/pod${UID}/${ID}`), fileMount(`/var/lib/kubelet/pods/${OTHER_UID}/etc-hosts`, '/etc/hosts')]),
    ).toThrow(/conflicting pod uids/);
  });

  it('fails closed when mounts name two pods', () => {
    expect(() =>
      locateInMounts([
        cgroupMount(`/../${ID}`),
        fileMount(`/var/lib/kubelet/pods/${UID}/etc-hosts`, '/etc/hosts'),
        fileMount(`/var/lib/kubelet/pods/${OTHER_UID}/volumes/kubernetes.io~empty-dir/x`, '/x'),
      ]),
    ).toThrow(/conflicting pod uids/);
  });

  it('never takes a container id from the sandbox’s hostname or resolv.conf mounts', () => {
    const { verdict } = locateInMounts([
      cgroupMount('/'),
      fileMount(`/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/${ID}/hostname`, '/etc/hostname'),
      fileMount(`/var/lib/kubelet/pods/${UID}/etc-hosts`, '/etc/hosts'),
    ]);
    expect(verdict).toMatchObject({ kind: 'no-container' });
  });

  it('ignores the host’s own mounts under the kubelet pods dir', () => {
    const { verdict } = locateInMounts(parseMountinfo(fixture('mountinfo-host.txt')));
    expect(verdict).toMatchObject({ kind: 'no-container', reason: expect.stringMatching(/mountinfo names no container/) });
  });
});
