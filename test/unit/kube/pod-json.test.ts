import { describe, expect, it } from '@jest/globals';
import { fromPodJson, fromPodListJson } from '../../../src/kube/index.js';
import { buildPod } from '../../support/pod-builder.js';

const base = () =>
  buildPod({
    namespace: 'apps',
    name: 'web-7d9f',
    uid: 'c0ffee00-0000-4000-8000-000000000001',
    nodeName: 'node-a',
    serviceAccount: 'web',
    labels: { app: 'web' },
    annotations: { 'conjur.org/authn-login': 'host/apps/web', 'kubectl.kubernetes.io/last-applied-configuration': '{"huge":"manifest"}' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f', uid: 'rs-uid', controller: true }],
    volumes: [{ name: 'conjur-ssl', kind: 'memory' }, { name: 'config', kind: 'configMap' }],
    initContainers: [{ name: 'init', image: 'busybox:1.36', containerId: 'a'.repeat(64) }],
    containers: [{ name: 'app', image: 'registry.example/web:2.1', containerId: 'b'.repeat(64), mounts: [{ volume: 'conjur-ssl', mountPath: '/etc/conjur/ssl' }] }],
  });

describe('fromPodJson', () => {
  it('keeps the identity facts of a pod', () => {
    const pod = fromPodJson(base());
    expect(pod).toMatchObject({ uid: 'c0ffee00-0000-4000-8000-000000000001', namespace: 'apps', name: 'web-7d9f', nodeName: 'node-a', serviceAccount: 'web', phase: 'Running' });
    expect(pod?.labels).toEqual({ app: 'web' });
    expect(pod?.annotations['conjur.org/authn-login']).toBe('host/apps/web');
    expect(pod?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f', uid: 'rs-uid', controller: true }]);
  });

  it('joins each container spec with its status and strips the runtime prefix from ids', () => {
    const pod = fromPodJson(base());
    expect(pod?.containers).toEqual([
      {
        name: 'app',
        image: 'registry.example/web:2.1',
        imageId: expect.stringMatching(/^registry\.example\/web@sha256:[0-9a-f]{64}$/),
        containerId: 'b'.repeat(64),
        volumeMounts: [
          { name: 'conjur-ssl', mountPath: '/etc/conjur/ssl' },
          { name: expect.stringMatching(/^kube-api-access-/), mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
        ],
      },
    ]);
    expect(pod?.initContainers[0]).toMatchObject({ name: 'init', containerId: 'a'.repeat(64) });
  });

  it('tells emptyDir volumes (disk or memory) from the others', () => {
    expect(fromPodJson(base())?.volumes.slice(0, 2)).toEqual([
      { name: 'conjur-ssl', kind: 'emptyDir' },
      { name: 'config', kind: 'other' },
    ]);
  });

  it('drops the manifest copy kubectl keeps in an annotation', () => {
    expect(fromPodJson(base())?.annotations).not.toHaveProperty(['kubectl.kubernetes.io/last-applied-configuration']);
  });

  const cases: { name: string; given: (json: ReturnType<typeof base>) => unknown; expect: (pod: ReturnType<typeof fromPodJson>) => void }[] = [
    { name: 'reads cri-o ids', given: (j) => withStatusId(j, `cri-o://${'c'.repeat(64)}`), expect: (p) => expect(p?.containers[0]?.containerId).toBe('c'.repeat(64)) },
    { name: 'reads docker ids', given: (j) => withStatusId(j, `docker://${'d'.repeat(64)}`), expect: (p) => expect(p?.containers[0]?.containerId).toBe('d'.repeat(64)) },
    { name: 'leaves the id empty for a container not started yet', given: (j) => ({ ...j, status: { phase: 'Pending' } }), expect: (p) => expect(p?.containers[0]).toMatchObject({ containerId: '', imageId: '' }) },
    { name: 'keeps a deletion timestamp given as text', given: (j) => ({ ...j, metadata: { ...j.metadata, deletionTimestamp: '2030-01-01T00:00:30Z' } }), expect: (p) => expect(p?.deletionTimestamp).toBe('2030-01-01T00:00:30Z') },
    { name: 'keeps a deletion timestamp given as a Date (client-node objects)', given: (j) => ({ ...j, metadata: { ...j.metadata, deletionTimestamp: new Date('2030-01-01T00:00:30Z') } }), expect: (p) => expect(p?.deletionTimestamp).toBe('2030-01-01T00:00:30.000Z') },
    { name: 'falls back to the default service account', given: (j) => ({ ...j, spec: { ...j.spec, serviceAccountName: undefined, serviceAccount: undefined } }), expect: (p) => expect(p?.serviceAccount).toBe('default') },
    { name: 'refuses a pod without a uid', given: (j) => ({ ...j, metadata: { ...j.metadata, uid: undefined } }), expect: (p) => expect(p).toBeUndefined() },
    { name: 'refuses something that is not a pod', given: () => 'not a pod', expect: (p) => expect(p).toBeUndefined() },
  ];
  for (const c of cases) it(c.name, () => c.expect(fromPodJson(c.given(base()))));
});

describe('fromPodListJson', () => {
  it('reads the items of a PodList and of an older List', () => {
    expect(fromPodListJson({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [base()] })).toHaveLength(1);
    expect(fromPodListJson({ kind: 'List', items: [base(), { metadata: {} }] })).toHaveLength(1);
  });

  it('refuses a document without items', () => {
    expect(fromPodListJson({ kind: 'Status', code: 500 })).toBeUndefined();
  });
});

function withStatusId(json: ReturnType<typeof base>, containerID: string): unknown {
  return { ...json, status: { ...json.status, containerStatuses: [{ name: 'app', containerID, imageID: '' }] } };
}
