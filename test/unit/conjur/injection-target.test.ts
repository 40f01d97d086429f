import { describe, expect, it } from '@jest/globals';
import { injectionTargetPaths } from '../../../src/conjur/index.js';
import type { PodVolumeLayout } from '../../../src/conjur/index.js';

const UID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const PODS = '/var/lib/kubelet/pods';
const path = (volume: string) => `${PODS}/${UID}/volumes/kubernetes.io~empty-dir/${volume}/client.pem`;

function pod(mounts: [container: string, volume: string, mountPath: string][], volumes: [string, 'emptyDir' | 'other'][]): PodVolumeLayout {
  return {
    podUid: UID,
    mounts: mounts.map(([containerName, volumeName, mountPath]) => ({ containerName, volumeName, mountPath })),
    volumes: volumes.map(([name, kind]) => ({ name, kind })),
  };
}

describe('injectionTargetPaths', () => {
  it('finds the emptyDir mounted at /etc/conjur/ssl under the kubelet pods dir', () => {
    const p = pod([['app', 'conjur-ssl', '/etc/conjur/ssl'], ['app', 'data', '/data']], [['conjur-ssl', 'emptyDir'], ['data', 'emptyDir']]);
    expect(injectionTargetPaths(p, PODS)).toEqual([path('conjur-ssl')]);
  });

  it('accepts a mount path written with a trailing slash', () => {
    expect(injectionTargetPaths(pod([['app', 'v', '/etc/conjur/ssl/']], [['v', 'emptyDir']]), PODS)).toEqual([path('v')]);
  });

  it('puts the authenticator container first when several containers mount it', () => {
    const p = pod([['app', 'a', '/etc/conjur/ssl'], ['authenticator', 'b', '/etc/conjur/ssl']], [['a', 'emptyDir'], ['b', 'emptyDir']]);
    expect(injectionTargetPaths(p, PODS)).toEqual([path('b'), path('a')]);
  });

  it('lists a volume shared by several containers once', () => {
    const p = pod([['app', 'v', '/etc/conjur/ssl'], ['authenticator', 'v', '/etc/conjur/ssl']], [['v', 'emptyDir']]);
    expect(injectionTargetPaths(p, PODS)).toEqual([path('v')]);
  });

  const refused = [
    { name: 'no container mounts /etc/conjur/ssl', pod: pod([['app', 'v', '/etc/conjur']], [['v', 'emptyDir']]) },
    { name: 'the volume is not an emptyDir', pod: pod([['app', 'v', '/etc/conjur/ssl']], [['v', 'other']]) },
    { name: 'the volume is not declared', pod: pod([['app', 'v', '/etc/conjur/ssl']], []) },
    { name: 'the volume name would leave the pods dir', pod: pod([['app', '../x', '/etc/conjur/ssl']], [['../x', 'emptyDir']]) },
    { name: 'the pod uid would leave the pods dir', pod: { ...pod([['app', 'v', '/etc/conjur/ssl']], [['v', 'emptyDir']]), podUid: '..' } },
  ];
  for (const c of refused) {
    it(`refuses (denied, nothing sent) when ${c.name}`, () => {
      expect(() => injectionTargetPaths(c.pod, PODS)).toThrow(expect.objectContaining({ code: 'denied' }) as unknown as Error);
    });
  }
});
