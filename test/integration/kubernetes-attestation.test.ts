import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import type { Agent } from '../../src/agent.js';
import { SimulatedNode } from '../support/simulated-node.js';
import type { SimulatedPod } from '../support/simulated-node.js';
import { runWorkload } from '../support/pod-workload.js';
import { eventually, expectClosedCleanly, linesOf, startRecordedAgent } from './e2e-harness.js';
import type { LogRecord } from './e2e-harness.js';
import { closeAll, describeOutcome, firstX509, openPodCaller, openPodCallers } from './pod-caller.js';
import type { PodCaller } from './pod-caller.js';

// Issue 3 end to end: who a caller is comes from the kernel (its pid's cgroup), the kubelet and
// the API server, never from the caller. Real processes in simulated pods call the agent over
// its socket; every doubt between the three sources ends in PermissionDenied with nothing sent
// to Conjur, and every source that cannot answer ends in Unavailable, quickly, with a log line.

describe('Kubernetes workload attestation over the Workload API socket', () => {
  let node: SimulatedNode;
  let agent: Agent;
  let logs: LogRecord[];
  let callers: PodCaller[] = [];
  let podCount = 0;

  const newPod = (options: { nodeName?: string } = {}): SimulatedPod => node.addPod({ namespace: 'shop', name: `web-${++podCount}`, ...options });
  const caller = async (pod: SimulatedPod | undefined) => {
    const c = await openPodCaller(node, pod);
    callers.push(c);
    return c;
  };

  beforeAll(async () => {
    node = await SimulatedNode.start();
    ({ agent, logs } = await startRecordedAgent(node, {
      overrides: { 'kubelet.requestTimeout': '500ms', 'kubernetes.requestTimeout': '1s', 'kubelet.newContainerWait': '1s' },
    }));
  });
  afterEach(async () => {
    await closeAll(callers);
    callers = [];
  });
  afterAll(async () => {
    await agent?.close(500);
    if (agent) expectClosedCleanly(agent);
    await node?.close();
  });

  it('serves each process in a pod the SPIFFE ID of its own pod', async () => {
    const [payments, orders] = [newPod(), newPod()];
    const [a, b] = await Promise.all([runWorkload(node, payments, 'x509'), runWorkload(node, orders, 'x509')]);
    expect(a).toEqual([expect.objectContaining({ event: 'svid', spiffeId: payments.spiffeId, hint: payments.login })]);
    expect(b).toEqual([expect.objectContaining({ event: 'svid', spiffeId: orders.spiffeId, hint: orders.login })]);
    expect(linesOf(logs, 'Attested workload', { pid: a[0]!.pid, podUid: payments.uid })).toHaveLength(1);
  });

  it('answers PermissionDenied to a process in no pod and logs its pid', async () => {
    const injects = node.conjur.calls.inject;
    const [report] = await runWorkload(node, undefined, 'x509');
    expect(report).toMatchObject({ event: 'error', code: status.PERMISSION_DENIED, details: 'no identity issued' });
    expect(linesOf(logs, 'Caller is not a workload', { component: 'attestation', pid: report!.pid })).toEqual([
      expect.objectContaining({ level: 'info', fields: expect.objectContaining({ reason: expect.stringMatching(/^locate-container: process is not in a container/) }) }),
    ]);
    expect(node.conjur.calls.inject).toBe(injects);
  });

  // Each change is made in the same tick as the pod appears, before any caller exists, so the
  // agent's watch of the API server has seen it by the time a caller is attested.
  const failClosed: { name: string; given: () => SimulatedPod; reason: RegExp }[] = [
    {
      name: 'a pod the kubelet reports on another node',
      given: () => newPod({ nodeName: 'node-2' }),
      reason: /is on node node-2 according to the kubelet, not on this node node-1/,
    },
    {
      name: 'a pod the API server binds to another node',
      given: () => {
        const pod = newPod();
        node.kubeApi.upsertPod({ ...pod.json, spec: { ...pod.json.spec, nodeName: 'node-2' } });
        return pod;
      },
      reason: /is bound to node node-2 in the api server, not to this node node-1/,
    },
    {
      name: 'a pod that is being deleted (graceful deletion under way)',
      given: () => {
        const pod = newPod();
        node.kubeApi.deletePod(pod.namespace, pod.name, { graceful: true, gracePeriodMs: 60_000 });
        return pod;
      },
      reason: /is being deleted in the api server/,
    },
    {
      name: 'a pod the API server knows under another UID (recreated) while the kubelet lists the old one',
      given: () => {
        const pod = newPod();
        node.kubeApi.upsertPod({ ...pod.json, metadata: { ...pod.json.metadata, uid: randomUUID() } });
        return pod;
      },
      reason: /has uid \S+ in the api server but uid \S+ on the kubelet/,
    },
  ];
  for (const c of failClosed) {
    it(`fails closed for ${c.name}: PermissionDenied, no SVID, nothing sent to Conjur`, async () => {
      const injects = node.conjur.calls.inject;
      const pod = c.given();
      const process = await caller(pod);
      const outcome = await firstX509(process);
      expect(describeOutcome(outcome)).toBe(`${status.PERMISSION_DENIED}: no identity issued`);
      expect(linesOf(logs, 'Caller is not a workload', { component: 'attestation', pid: process.pid, reason: c.reason })).toHaveLength(1);
      expect(node.conjur.calls.inject).toBe(injects);
      expect(linesOf(logs, 'Issued X509-SVID', { podUid: pod.uid })).toHaveLength(0);
    });
  }

  const kubeletFailures: { name: string; given: () => void; cause: RegExp; undo?: () => void }[] = [
    { name: 'answers 401', given: () => node.kubelet.failNext(401), cause: /^kubelet returned 401 for \/pods$/ },
    { name: 'answers 403', given: () => node.kubelet.failNext(403), cause: /^kubelet returned 403 for \/pods$/ },
    { name: 'answers 500', given: () => node.kubelet.failNext(500), cause: /^kubelet returned 500 for \/pods$/ },
    {
      name: 'does not answer within the request timeout',
      given: () => node.kubelet.setDelayMs(5_000),
      cause: /^kubelet request timed out after 500 ms$/,
      undo: () => node.kubelet.setDelayMs(0),
    },
    { name: 'answers with malformed JSON', given: () => node.kubelet.setMalformedNext(), cause: /^kubelet returned malformed JSON/ },
  ];
  for (const c of kubeletFailures) {
    it(`answers Unavailable when the kubelet ${c.name}, logs the cause, and recovers`, async () => {
      const pod = newPod(); // unknown to the agent: attestation must ask the kubelet
      const process = await caller(pod);
      c.given();
      const startedAt = Date.now();
      const outcome = await firstX509(process);
      c.undo?.();
      expect(describeOutcome(outcome)).toBe(`${status.UNAVAILABLE}: workload attestation failed`);
      expect(Date.now() - startedAt).toBeLessThan(3_000);
      expect(linesOf(logs, 'Workload attestation could not finish', { pid: process.pid, cause: c.cause })).toEqual([expect.objectContaining({ level: 'warn' })]);
      expect(linesOf(logs, 'Kubelet request failed', { cause: c.cause }).length).toBeGreaterThan(0);
      // The failure is not remembered: the same process asks again once the kubelet is well.
      expect(describeOutcome(await firstX509(process))).toBe(pod.spiffeId);
    });
  }

  it('answers Unavailable while the API server is down, logs the cause, and recovers', async () => {
    node.kubeApi.setDown(true);
    try {
      await eventually(() => !agent.health.readiness().components['kubernetes']?.ready, 10_000);
      const pod = newPod();
      const process = await caller(pod);
      const startedAt = Date.now();
      expect(describeOutcome(await firstX509(process))).toBe(`${status.UNAVAILABLE}: workload attestation failed`);
      expect(Date.now() - startedAt).toBeLessThan(5_000);
      expect(linesOf(logs, 'Workload attestation could not finish', { pid: process.pid, reason: /verify-pod: the api server could not be asked/ })).toHaveLength(1);
    } finally {
      node.kubeApi.setDown(false);
    }
    await eventually(() => agent.health.readiness().components['kubernetes']?.ready === true, 20_000);
  });

  it('serves 100 simultaneous new callers in pods it already knows without asking the kubelet', async () => {
    const pods = [newPod(), newPod()];
    for (const pod of pods) expect(describeOutcome(await firstX509(await caller(pod)))).toBe(pod.spiffeId);
    const crowd = [...(await openPodCallers(node, pods[0], 50)), ...(await openPodCallers(node, pods[1], 50))];
    callers.push(...crowd);
    const requests = node.kubelet.requests;
    const outcomes = await Promise.all(crowd.map(firstX509));
    expect(outcomes.map(describeOutcome)).toEqual([...Array<string>(50).fill(pods[0]!.spiffeId), ...Array<string>(50).fill(pods[1]!.spiffeId)]);
    expect(node.kubelet.requests - requests).toBe(0);
  });

  it('asks the kubelet at most twice for 100 simultaneous callers in a new pod', async () => {
    const pod = newPod();
    const crowd = await openPodCallers(node, pod, 100);
    callers.push(...crowd);
    const requests = node.kubelet.requests;
    const outcomes = await Promise.all(crowd.map(firstX509));
    expect(new Set(outcomes.map(describeOutcome))).toEqual(new Set([pod.spiffeId]));
    expect(node.kubelet.requests - requests).toBeGreaterThanOrEqual(1);
    expect(node.kubelet.requests - requests).toBeLessThanOrEqual(2);
  });
});
