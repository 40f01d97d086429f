import { afterEach, describe, expect, it } from '@jest/globals';
import type { Agent } from '../../src/agent.js';
import type { FetchConjurTokenResponse__Output } from '../../src/gen/conjur/spiffe/v1/FetchConjurTokenResponse.js';
import { SimulatedNode } from '../support/simulated-node.js';
import { StreamReader } from '../support/workload-client.js';
import { expectClosedCleanly, httpGet, linesOf, metricValue, startRecordedAgent } from './e2e-harness.js';
import { closeAll, describeOutcome, firstX509, openPodCaller } from './pod-caller.js';
import type { PodCaller } from './pod-caller.js';

// Issue 11 (clock skew) and issue 10 item 5 (fair issuance), in real time against the doubles.

describe('Conjur off the happy path, in real time', () => {
  let node: SimulatedNode | undefined;
  let agent: Agent | undefined;
  let callers: PodCaller[] = [];

  afterEach(async () => {
    await closeAll(callers);
    callers = [];
    await agent?.close(500);
    if (agent) expectClosedCleanly(agent);
    await node?.close();
    [node, agent] = [undefined, undefined];
  });

  describe('Conjur clock skew', () => {
    // Tokens live 6 s here, refreshed 2 s before expiry: over 14 s a pod needs about 4.
    for (const skewMs of [-5 * 60_000, 5 * 60_000]) {
      it(`keeps tokens flowing with Conjur's clock ${skewMs < 0 ? 'behind' : 'ahead'} by 5 minutes: no request storm, one warning, the skew exported`, async () => {
        node = await SimulatedNode.start({ tokenTtlSeconds: 6 });
        node.conjur.clockOffsetMs = skewMs;
        const started = await startRecordedAgent(node, { overrides: { 'conjur.tokenRefreshBeforeExpiry': '2s' } });
        agent = started.agent;
        const pod = node.addPod({ namespace: 'skew', name: 'ledger-7f6e5' });
        const caller = await openPodCaller(node, pod);
        callers.push(caller);
        const tokens = new StreamReader<FetchConjurTokenResponse__Output>(caller.client.fetchConjurToken());
        const first = await tokens.next();
        const since = Date.now();
        // The token's expiry is told on this node's clock: about 6 s from now, whatever Conjur's clock says.
        expect(Math.abs(Number(first.expires_at) * 1000 - (since + 6_000))).toBeLessThan(3_000);
        await new Promise((resolve) => setTimeout(resolve, 14_000));
        expect(tokens.received).toBeGreaterThanOrEqual(3);
        const authenticates = node.conjur.requestsFor({ pod: `${pod.namespace}/${pod.name}`, route: 'authenticate' }).length;
        expect(authenticates).toBeLessThanOrEqual(1 + Math.ceil(14 / 3) + 1);
        expect(linesOf(started.logs, "Conjur's clock differs from this node's")).toHaveLength(1);
        const metrics = await httpGet(agent.metricsAddress, '/metrics');
        expect(Math.abs(metricValue(metrics.body, 'conjur_spiffe_conjur_clock_skew_seconds') - skewMs / 1000)).toBeLessThan(5);
        // The SVID was accepted although its notBefore is Conjur's "now".
        expect(describeOutcome(await firstX509(caller))).toBe(pod.spiffeId);
      }, 60_000);
    }
  });

  describe('Fair issuance', () => {
    it("gives a healthy pod its first SVID while 16 pods' injections never arrive (each holding a confirm wait, not a Conjur slot)", async () => {
      node = await SimulatedNode.start();
      ({ agent } = await startRecordedAgent(node, { overrides: { 'conjur.maxConcurrentIssuances': 8, 'conjur.injectTimeout': '10s' } }));
      const failing = Array.from({ length: 16 }, (_, i) => node!.addPod({ namespace: 'hostile', name: `never-${i}` }));
      for (const pod of failing) node.conjur.fault('inject', { kind: 'injection', mode: 'never' }, { pod: `${pod.namespace}/${pod.name}` });
      const waiting = await Promise.all(failing.map((pod) => openPodCaller(node!, pod)));
      callers.push(...waiting);
      const outcomes = waiting.map((c) => firstX509(c));
      // All 16 injects answered 202; the agent now waits for files that never come.
      for (let i = 0; i < 100 && node.conjur.requests.filter((r) => r.pod?.startsWith('hostile/') && r.outcome === 202).length < 16; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(node.conjur.requests.filter((r) => r.pod?.startsWith('hostile/')).length).toBe(16);

      const healthy = node.addPod({ namespace: 'shop', name: 'checkout-1a2b3' });
      const healthyCaller = await openPodCaller(node, healthy);
      callers.push(healthyCaller);
      const startedAt = Date.now();
      expect(describeOutcome(await firstX509(healthyCaller))).toBe(healthy.spiffeId);
      const elapsedMs = Date.now() - startedAt;
      // Far inside the 10 s confirm waits the failing pods are in (it took 19.8 s before the fix).
      expect(elapsedMs).toBeLessThan(5_000);
      expect((await Promise.all(outcomes)).every((o) => o.kind === 'status')).toBe(true);
    }, 60_000);
  });
});
