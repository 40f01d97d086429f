import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { AttestationError } from '../../../src/attestation/index.js';
import type { PodInfo } from '../../../src/attestation/index.js';
import { digestOf } from '../../fakes/fake-pod-source.js';
import { AttestorSetup, NODE, workloadPod } from './attestor-setup.js';

let setup: AttestorSetup;
const signal = new AbortController().signal;

beforeEach(async () => {
  setup = await AttestorSetup.start();
});
afterEach(async () => {
  await setup.close();
});

async function attestError(): Promise<AttestationError> {
  const error = await setup.attestor.attest(setup.peer(), signal).catch((e: unknown) => e);
  if (!(error instanceof AttestationError)) throw new Error(`expected an AttestationError, got ${String(error)}`);
  return error;
}

describe('KubernetesAttestor', () => {
  it('attests a process in a pod container with the facts of that pod and container', async () => {
    const pod = workloadPod();
    await setup.placeIn(pod);
    const facts = await setup.attestor.attest(setup.peer(), signal);
    expect(facts).toEqual({
      kind: 'kubernetes',
      process: { pid: setup.pid, uid: 1000, gid: 1000 },
      namespace: 'payments',
      podName: 'api-7d9f8b6c5d-x2k4q',
      podUid: pod.uid,
      serviceAccount: 'payments-api',
      nodeName: NODE,
      containerName: 'api',
      containerId: pod.apiContainerId,
      image: 'registry.example/payments/api:2.1',
      imageDigest: digestOf('registry.example/payments/api:2.1'),
      labels: pod.labels,
      annotations: pod.annotations,
      ownerReferences: pod.ownerReferences,
      mounts: [
        { containerName: 'api', volumeName: 'conjur-ssl', mountPath: '/etc/conjur/ssl' },
        { containerName: 'authenticator', volumeName: 'conjur-ssl', mountPath: '/etc/conjur/ssl' },
      ],
      volumes: [
        { name: 'conjur-ssl', kind: 'emptyDir' },
        { name: 'config', kind: 'other' },
      ],
    });
    expect(setup.logs.records.filter((r) => r.level !== 'debug')).toEqual([]);
  });

  it('asks the kubelet for the pod uid and container id the cgroup names', async () => {
    const pod = workloadPod();
    await setup.placeIn(pod);
    await setup.attestor.attest(setup.peer(), signal);
    expect(setup.pods.requests).toBe(1);
    expect(setup.verifier.requests).toBe(1);
  });

  it('takes labels and annotations from the api server, whose copy is current', async () => {
    const pod = workloadPod();
    const relabelled = { ...pod, labels: { app: 'payments-api', tier: 'gold' }, annotations: { 'conjur.org/authn-login': 'host/apps/other' } };
    await setup.placeIn(pod, { api: relabelled });
    const facts = await setup.attestor.attest(setup.peer(), signal);
    expect(facts.kind === 'kubernetes' && [facts.labels, facts.annotations]).toEqual([relabelled.labels, relabelled.annotations]);
  });

  it('reports a process in no container as not a workload without asking the kubelet', async () => {
    await setup.proc.write(setup.pid, 'cgroup', '0::/user.slice/user-1000.slice/session-4.scope\n');
    const error = await attestError();
    expect(error).toMatchObject({ code: 'not-a-workload', message: expect.stringMatching(/not in a container/) });
    expect(setup.pods.requests).toBe(0);
  });

  const failClosed: { name: string; arrange: (pod: ReturnType<typeof workloadPod>) => { kubelet?: PodInfo; api?: PodInfo | null }; message: RegExp }[] = [
    { name: 'a pod the kubelet places on another node', arrange: (pod) => ({ kubelet: { ...pod, nodeName: 'node-b' } }), message: /is on node node-b according to the kubelet, not on this node node-a/ },
    { name: 'a pod the api server binds to another node', arrange: (pod) => ({ api: { ...pod, nodeName: 'node-b' } }), message: /is bound to node node-b in the api server, not to this node node-a/ },
    { name: 'a pod being deleted', arrange: (pod) => ({ api: { ...pod, deletionTimestamp: '2030-01-01T00:00:00Z' } }), message: /is being deleted in the api server \(since 2030-01-01T00:00:00Z\)/ },
    { name: 'a pod the kubelet already sees deleted', arrange: (pod) => ({ kubelet: { ...pod, deletionTimestamp: '2030-01-01T00:00:00Z' }, api: pod }), message: /is being deleted \(since/ },
    { name: 'a uid mismatch between the kubelet and the api server', arrange: (pod) => ({ api: { ...pod, uid: 'f0000000-0000-4000-8000-000000000001' } }), message: /has uid f0000000-0000-4000-8000-000000000001 in the api server but uid .* on the kubelet/ },
    { name: 'a pod the api server does not know', arrange: () => ({ api: null }), message: /does not exist in the api server/ },
    { name: 'a container the kubelet does not list', arrange: (pod) => ({ kubelet: { ...pod, containers: pod.containers.slice(1) } }), message: /the kubelet lists no running container [0-9a-f]{64} in pod/ },
  ];
  for (const c of failClosed) {
    it(`fails closed as not a workload for ${c.name}, with one info line`, async () => {
      const pod = workloadPod();
      await setup.placeIn(pod, c.arrange(pod));
      const error = await attestError();
      expect(error).toMatchObject({ code: 'not-a-workload', message: expect.stringMatching(c.message) });
      const lines = setup.logs.records.filter((r) => r.level !== 'debug');
      expect(lines).toEqual([{ level: 'info', message: 'Caller is not a workload', fields: expect.objectContaining({ pid: setup.pid, reason: expect.stringMatching(c.message) }) }]);
    });
  }

  it('fails closed when the kubelet answers with a pod of another uid than the cgroup names', async () => {
    const pod = workloadPod();
    await setup.placeIn(pod);
    setup.pods.findPod = async () => ({ ...pod, uid: randomUUID() });
    expect(await attestError()).toMatchObject({ code: 'not-a-workload', message: expect.stringMatching(/but the cgroup names pod uid/) });
  });

  it('reports an unreachable kubelet as unavailable, with one warn line carrying the cause', async () => {
    const pod = workloadPod();
    await setup.placeIn(pod);
    setup.pods.failNext(new Error('kubelet returned 500 for /pods'));
    expect(await attestError()).toMatchObject({ code: 'unavailable', message: 'the kubelet could not be asked for pods' });
    const lines = setup.logs.records.filter((r) => r.level !== 'debug');
    expect(lines).toEqual([
      {
        level: 'warn',
        message: 'Workload attestation could not finish',
        fields: expect.objectContaining({ pid: setup.pid, reason: 'find-pod: the kubelet could not be asked for pods', cause: 'kubelet returned 500 for /pods' }),
      },
    ]);
  });

  it('reports an unreachable api server as unavailable', async () => {
    const pod = workloadPod();
    await setup.placeIn(pod);
    setup.verifier.failNext(new Error('connect ECONNREFUSED 127.0.0.1:6443'));
    const error = await attestError();
    expect(error).toMatchObject({ code: 'unavailable', message: `the api server could not be asked for pod payments/${pod.name}` });
    expect(setup.logs.records.find((r) => r.level === 'warn')?.fields['cause']).toBe('connect ECONNREFUSED 127.0.0.1:6443');
  });

  it('reports a process that is gone as unavailable', async () => {
    expect(await attestError()).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/is gone/) });
  });

  it('stops when the caller goes away, without logging a failure', async () => {
    const pod = workloadPod();
    await setup.placeIn(pod);
    const controller = new AbortController();
    setup.pods.findPod = (_query, s) => new Promise((_resolve, reject) => s.addEventListener('abort', () => reject(s.reason)));
    const pending = setup.attestor.attest(setup.peer(), controller.signal);
    controller.abort(new Error('call cancelled'));
    await expect(pending).rejects.toThrow('call cancelled');
    expect(setup.logs.records.filter((r) => r.level !== 'debug')).toEqual([]);
  });
});
