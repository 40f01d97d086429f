import { describe, expect, it } from '@jest/globals';
import { containerMountsOf, imageDigestOf } from '../../../src/attestation/to-pod-facts.js';
import { toPodInfo } from '../../fakes/fake-pod-source.js';

const HEX = 'e'.repeat(64);

describe('imageDigestOf', () => {
  const cases: { name: string; imageId: string; expect: string | undefined }[] = [
    { name: 'reads the digest of a containerd imageID', imageId: `registry.example/app@sha256:${HEX}`, expect: `sha256:${HEX}` },
    { name: 'reads the digest of a docker-pullable imageID', imageId: `docker-pullable://registry.example/app@sha256:${HEX}`, expect: `sha256:${HEX}` },
    { name: 'gives none for a local image config id', imageId: `sha256:${HEX}`, expect: undefined },
    { name: 'gives none before the container has started', imageId: '', expect: undefined },
  ];
  for (const c of cases) it(c.name, () => expect(imageDigestOf(c.imageId)).toBe(c.expect));
});

describe('containerMountsOf', () => {
  it('lists the mounts of init and app containers, named by container', () => {
    const pod = toPodInfo({
      namespace: 'ns',
      name: 'p',
      nodeName: 'n',
      initContainers: [{ name: 'authenticator', image: 'a:1', mounts: [{ volume: 'conjur-ssl', mountPath: '/etc/conjur/ssl' }] }],
      containers: [{ name: 'app', image: 'b:1', mounts: [{ volume: 'data', mountPath: '/data' }] }],
    });
    expect(containerMountsOf(pod)).toEqual([
      { containerName: 'authenticator', volumeName: 'conjur-ssl', mountPath: '/etc/conjur/ssl' },
      { containerName: 'app', volumeName: 'data', mountPath: '/data' },
    ]);
  });
});
