import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SimulatedNode } from '../support/simulated-node.js';
import type { SimulatedPod } from '../support/simulated-node.js';
import { startNodeAgent } from '../support/node-agent.js';
import { runWorkload } from '../support/pod-workload.js';
import type { Agent } from '../../src/agent.js';

describe('smoke', () => {
  let node: SimulatedNode;
  let agent: Agent;
  let pod: SimulatedPod;
  beforeAll(async () => {
    node = await SimulatedNode.start();
    pod = node.addPod({ namespace: 'shop', name: 'payments-6c9f7' });
    node.conjur.setVariable('apps/db/password', 's3cr3t', { permitted: ['apps/shop/payments-6c9f7'] });
    agent = await startNodeAgent(node, { verbose: true });
  });
  afterAll(async () => {
    await agent?.close(100);
    await node?.close();
  });
  it('works', async () => {
    const reports = await runWorkload(node, pod, 'token-secret', { SECRET_ID: 'apps/db/password' });
    console.log(JSON.stringify(reports.map((r) => ({ ...r, certDer: undefined, bundleDer: undefined }))));
    expect(reports.find((r) => r.event === 'secret')?.value).toBe('s3cr3t');
  });
});
