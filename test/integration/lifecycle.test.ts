import { statSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import type { Agent } from '../../src/agent.js';
import type { X509SVIDResponse__Output } from '../../src/gen/X509SVIDResponse.js';
import type { FetchConjurTokenResponse__Output } from '../../src/gen/conjur/spiffe/v1/FetchConjurTokenResponse.js';
import { SimulatedNode } from '../support/simulated-node.js';
import { StreamReader, WorkloadClient } from '../support/workload-client.js';
import { eventually, expectClosedCleanly, httpGet, linesOf, startRecordedAgent } from './e2e-harness.js';
import type { LogRecord } from './e2e-harness.js';
import { closeAll, describeOutcome, firstX509, openPodCaller } from './pod-caller.js';
import type { PodCaller } from './pod-caller.js';

// Issue 5's lifecycle: what a DaemonSet rollout and a misconfigured second agent look like from
// the workloads' side and the kubelet's probes. One node; each test starts its own agent.

describe('Agent lifecycle', () => {
  let node: SimulatedNode;
  let callers: PodCaller[] = [];
  let clients: WorkloadClient[] = [];
  const agents: Agent[] = [];

  const caller = async (pod: Parameters<typeof openPodCaller>[1]) => {
    const c = await openPodCaller(node, pod);
    callers.push(c);
    return c;
  };
  const start = async (options: Parameters<typeof startRecordedAgent>[1] = {}) => {
    const started = await startRecordedAgent(node, options);
    agents.push(started.agent);
    return started;
  };

  beforeAll(async () => {
    node = await SimulatedNode.start();
  });
  afterEach(async () => {
    node.conjur.setDown(false);
    for (const client of clients) client.close();
    clients = [];
    await closeAll(callers);
    callers = [];
    for (const agent of agents.splice(0)) {
      await agent.close(500);
      expectClosedCleanly(agent);
    }
  });
  afterAll(async () => {
    await node?.close();
  });

  it('drains on close: open streams end with Unavailable, the socket file goes, and close keeps to its grace period', async () => {
    const { agent, logs } = await start();
    const pod = node.addPod({ namespace: 'shop', name: 'search-3e4f5' });
    const holder = await caller(pod);
    const x509 = new StreamReader<X509SVIDResponse__Output>(holder.client.fetchX509Svid());
    const tokens = new StreamReader<FetchConjurTokenResponse__Output>(holder.client.fetchConjurToken());
    await Promise.all([x509.next(), tokens.next()]);

    const startedAt = Date.now();
    await agent.close(300);
    expect(Date.now() - startedAt).toBeLessThan(1_500);
    expect(await x509.ended).toEqual({ code: status.UNAVAILABLE, details: 'agent shutting down' });
    expect(await tokens.ended).toEqual({ code: status.UNAVAILABLE, details: 'agent shutting down' });
    expectClosedCleanly(agent);
    expect(linesOf(logs, 'Agent stopped', { socketPath: node.socketPath })).toHaveLength(1);
    // Nothing answers on the socket path any more.
    expect((await firstX509(await caller(pod))).kind).toBe('status');
  });

  it('refuses to start a second agent on the same socket path with a clear message, and the first keeps serving', async () => {
    await start();
    const socketInode = statSync(node.socketPath).ino;
    const calls = { ...node.conjur.calls };
    const refusedLogs: LogRecord[] = [];
    await expect(startRecordedAgent(node, { untilReady: false, logs: refusedLogs })).rejects.toMatchObject({
      name: 'EndpointError',
      code: 'in-use',
      message: `another server is already listening on ${node.socketPath}: stop it or choose another socket path`,
    });
    // The refused agent touched nothing: not Conjur (no login into the agent pod), not the socket.
    expect(node.conjur.calls).toEqual(calls);
    expect(statSync(node.socketPath).ino).toBe(socketInode);
    expect(refusedLogs.map((r) => r.message)).not.toContain('Workload endpoint closed');
    const pod = node.addPod({ namespace: 'shop', name: 'reviews-8c7d6' });
    expect(describeOutcome(await firstX509(await caller(pod)))).toBe(pod.spiffeId);
    expect(node.conjur.calls.inject - calls.inject).toBe(1);
  });

  it('reports not ready on /ready and gRPC health while Conjur and the bundle are unavailable at start, and ready once they come', async () => {
    node.conjur.setDown(true);
    const { agent, logs } = await start({ untilReady: false });
    const health = new WorkloadClient(node.socketPath);
    clients.push(health);

    expect(await httpGet(agent.healthAddress, '/live')).toMatchObject({ status: 200 });
    await eventually(() => linesOf(logs, 'Agent Conjur authentication failed').length > 0, 15_000);
    const notReady = await httpGet(agent.healthAddress, '/ready');
    expect(notReady.status).toBe(503);
    expect(JSON.parse(notReady.body)).toEqual({
      ready: false,
      components: {
        kubernetes: { ready: true },
        conjur: { ready: false, detail: expect.stringMatching(/^conjur: /) },
        bundle: { ready: false, detail: 'the trust bundle (authn-k8s CA) is not loaded yet' },
      },
    });
    expect(await health.healthCheck()).toBe('NOT_SERVING');

    node.conjur.setDown(false);
    await eventually(() => agent.health.readiness().ready, 30_000);
    const ready = await httpGet(agent.healthAddress, '/ready');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ ready: true, components: { kubernetes: { ready: true }, conjur: { ready: true }, bundle: { ready: true } } });
    await expect(waitForServing(health)).resolves.toBe('SERVING');
  });
});

/** gRPC health follows /ready once a second. */
async function waitForServing(client: WorkloadClient): Promise<string> {
  for (const deadline = Date.now() + 3_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    const state = await client.healthCheck();
    if (state === 'SERVING') return state;
  }
  return client.healthCheck();
}
