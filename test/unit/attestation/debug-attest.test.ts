import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { debugAttest } from '../../../src/attestation/index.js';
import { KubernetesIdentityResolver } from '../../../src/identity/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { TrustDomain } from '../../../src/spiffe/index.js';
import { AttestorSetup, NODE, cgroupOf, workloadPod } from './attestor-setup.js';

let setup: AttestorSetup;
const resolver = new KubernetesIdentityResolver({ trustDomain: TrustDomain.parse('cluster.local'), logger: silentLogger });

beforeEach(async () => {
  setup = await AttestorSetup.start();
  await setup.proc.writeStatus(setup.pid, 1001, 1002);
});
afterEach(async () => {
  await setup.close();
});

function run() {
  return debugAttest({ pid: setup.pid, attestor: setup.attestor, resolver });
}

describe('debugAttest', () => {
  it('reports every step, the facts, the SPIFFE ID and the host id of a pod workload', async () => {
    const pod = workloadPod();
    await setup.placeIn(pod);
    const report = await run();
    expect(report).toMatchObject({
      ok: true,
      pid: setup.pid,
      procRoot: setup.proc.root,
      cgroupLines: [cgroupOf(pod, pod.apiContainerId).trim()],
      source: 'cgroup',
      containerId: pod.apiContainerId,
      podUid: pod.uid,
      pod: { namespace: 'payments', name: pod.name, uid: pod.uid },
      facts: { kind: 'kubernetes', process: { pid: setup.pid, uid: 1001, gid: 1002 }, containerName: 'api', nodeName: NODE },
      spiffeId: `spiffe://cluster.local/namespace/payments/podname/${pod.name}`,
      hostId: 'host/apps/payments-api',
      failure: null,
    });
    expect(report.steps.map((s) => [s.step, s.ok])).toEqual([
      ['read-process', true],
      ['read-cgroup', true],
      ['locate-container', true],
      ['find-pod', true],
      ['match-container', true],
      ['verify-pod', true],
      ['build-facts', true],
      ['resolve-identity', true],
    ]);
  });

  it('names the step that failed and why, keeping what earlier steps found', async () => {
    const pod = workloadPod();
    await setup.placeIn(pod, { api: { ...pod, nodeName: 'node-b' } });
    const report = await run();
    expect(report).toMatchObject({
      ok: false,
      containerId: pod.apiContainerId,
      pod: { namespace: 'payments', name: pod.name, uid: pod.uid },
      facts: null,
      spiffeId: null,
      failure: { step: 'verify-pod', code: 'not-a-workload', message: expect.stringMatching(/bound to node node-b/) },
    });
    expect(report.steps.at(-1)).toMatchObject({ step: 'verify-pod', ok: false, detail: { error: 'not-a-workload' } });
  });

  it('reports a process in no container at the locate step', async () => {
    await setup.proc.write(setup.pid, 'cgroup', '0::/system.slice/sshd.service\n');
    const report = await run();
    expect(report).toMatchObject({
      ok: false,
      cgroupLines: ['0::/system.slice/sshd.service'],
      containerId: null,
      podUid: null,
      failure: { step: 'locate-container', code: 'not-a-workload' },
    });
  });

  it('reports a kubelet outage at the find-pod step as unavailable', async () => {
    const pod = workloadPod();
    await setup.placeIn(pod);
    setup.pods.failNext(new Error('kubelet returned 403 for /pods'));
    expect((await run()).failure).toEqual({ step: 'find-pod', code: 'unavailable', message: 'the kubelet could not be asked for pods' });
  });

  it('reports a pod without a Conjur login at the resolve step', async () => {
    const pod = workloadPod({ annotations: {} });
    await setup.placeIn(pod);
    const report = await run();
    expect(report).toMatchObject({ ok: false, facts: { podUid: pod.uid }, spiffeId: null, hostId: null });
    expect(report.failure).toMatchObject({ step: 'resolve-identity', code: 'no-identity', message: expect.stringMatching(/no conjur.org\/authn-login annotation/) });
  });

  it('reports a pid with no /proc entry at the read-process step', async () => {
    const report = await debugAttest({ pid: 999_999, attestor: setup.attestor, resolver });
    expect(report.failure).toMatchObject({ step: 'read-process', code: 'unavailable', message: expect.stringMatching(/process 999999 is gone/) });
  });

  it('produces a report that survives a JSON round trip unchanged', async () => {
    const pod = workloadPod();
    await setup.placeIn(pod);
    const report = await run();
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});
