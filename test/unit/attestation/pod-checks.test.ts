import { describe, expect, it } from '@jest/globals';
import { checkApiPod, checkKubeletPod, findContainer } from '../../../src/attestation/pod-checks.js';
import type { PodInfo } from '../../../src/attestation/index.js';
import { toPodInfo } from '../../fakes/fake-pod-source.js';

const NODE = 'node-a';
const MAIN_ID = '1'.repeat(64);
const INIT_ID = '2'.repeat(64);
const pod = toPodInfo({
  namespace: 'ns',
  name: 'web',
  uid: '00000000-0000-4000-8000-000000000001',
  nodeName: NODE,
  containers: [{ name: 'web', image: 'web:1', containerId: MAIN_ID }, { name: 'pending', image: 'web:1', containerId: null }],
  initContainers: [{ name: 'init', image: 'init:1', containerId: INIT_ID }],
});

describe('findContainer', () => {
  it('finds app and init containers by runtime id', () => {
    expect(findContainer(pod, MAIN_ID)?.name).toBe('web');
    expect(findContainer(pod, INIT_ID)?.name).toBe('init');
  });

  it('never matches a container that has not started (empty id)', () => {
    expect(findContainer(pod, '')).toBeUndefined();
  });
});

describe('checkKubeletPod', () => {
  const cases: { name: string; pod: PodInfo; podUid?: string; expect: RegExp | undefined }[] = [
    { name: 'accepts a running pod on this node', pod, podUid: pod.uid, expect: undefined },
    { name: 'accepts a pod when the cgroup did not name its uid', pod, expect: undefined },
    { name: 'rejects a pod of another uid than the cgroup names', pod, podUid: '00000000-0000-4000-8000-000000000002', expect: /cgroup names pod uid 00000000-0000-4000-8000-000000000002/ },
    { name: 'rejects a pod on another node', pod: { ...pod, nodeName: 'node-b' }, expect: /on node node-b according to the kubelet/ },
    { name: 'rejects a pod not yet bound to a node', pod: { ...pod, nodeName: '' }, expect: /on node \(none\)/ },
    { name: 'rejects a pod being deleted', pod: { ...pod, deletionTimestamp: '2030-01-01T00:00:00Z' }, expect: /being deleted/ },
    { name: 'rejects a pod that has finished', pod: { ...pod, phase: 'Failed' }, expect: /has finished \(phase Failed\)/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const problem = checkKubeletPod(c.pod, { ...(c.podUid === undefined ? {} : { podUid: c.podUid }), nodeName: NODE });
      if (c.expect === undefined) expect(problem).toBeUndefined();
      else expect(problem).toMatch(c.expect);
    });
  }
});

describe('checkApiPod', () => {
  const cases: { name: string; api: PodInfo | undefined; expect: RegExp | undefined }[] = [
    { name: 'accepts the same pod', api: pod, expect: undefined },
    { name: 'rejects a pod the api server does not have', api: undefined, expect: /ns\/web does not exist in the api server/ },
    { name: 'rejects a pod recreated under the same name', api: { ...pod, uid: '00000000-0000-4000-8000-000000000009' }, expect: /has uid 0+-0+-4000-8000-0+9 in the api server but uid 0+-0+-4000-8000-0+1 on the kubelet/ },
    { name: 'rejects a pod bound to another node', api: { ...pod, nodeName: 'node-b' }, expect: /bound to node node-b in the api server, not to this node node-a/ },
    { name: 'rejects a pod being deleted', api: { ...pod, deletionTimestamp: '2030-01-01T00:00:00Z' }, expect: /being deleted in the api server/ },
    { name: 'rejects a pod that has finished', api: { ...pod, phase: 'Succeeded' }, expect: /has finished in the api server/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const problem = checkApiPod(c.api, pod, NODE);
      if (c.expect === undefined) expect(problem).toBeUndefined();
      else expect(problem).toMatch(c.expect);
    });
  }
});
