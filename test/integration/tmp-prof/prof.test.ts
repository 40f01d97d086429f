import { afterAll, beforeAll, it, expect } from '@jest/globals';
import { SimulatedNode } from '../../support/simulated-node.js';
import type { Agent } from '../../../src/agent.js';
import { startRecordedAgent } from '../e2e-harness.js';
import { closeAll, describeOutcome, firstX509, openPodCallers } from '../pod-caller.js';

let node: SimulatedNode; let agent: Agent;
beforeAll(async () => { node = await SimulatedNode.start(); ({ agent } = await startRecordedAgent(node)); });
afterAll(async () => { await agent.close(500); await node.close(); });
it('profiles', async () => {
  const pod = node.addPod({ namespace: 'a', name: 'b' });
  let t = Date.now();
  const crowd = await openPodCallers(node, pod, 100);
  console.log('spawn', Date.now() - t); t = Date.now();
  const o = await Promise.all(crowd.map(firstX509));
  const m = new Map<string, number>(); for (const d of o.map(describeOutcome)) m.set(d, (m.get(d) ?? 0) + 1); console.log('calls', Date.now() - t, m); t = Date.now();
  const o2 = await Promise.all(crowd.map(firstX509));
  console.log('calls again', Date.now() - t); t = Date.now();
  await closeAll(crowd);
  console.log('close', Date.now() - t);
  expect(1).toBe(1);
});
