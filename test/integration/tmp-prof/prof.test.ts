import { afterAll, beforeAll, it, expect } from '@jest/globals';
import { SimulatedNode } from '../../support/simulated-node.js';
import type { Agent } from '../../../src/agent.js';
import { renderLogs, startRecordedAgent } from '../e2e-harness.js';
import type { LogRecord } from '../e2e-harness.js';
import { closeAll, describeOutcome, firstX509, openPodCallers } from '../pod-caller.js';

let node: SimulatedNode; let agent: Agent; let logs: LogRecord[];
beforeAll(async () => { node = await SimulatedNode.start(); ({ agent, logs } = await startRecordedAgent(node)); });
afterAll(async () => { await agent.close(500); await node.close(); });
for (let i = 0; i < 6; i++) it('profiles ' + i, async () => {
  const pod = node.addPod({ namespace: 'a', name: 'b' + i });
  const crowd = await openPodCallers(node, pod, 100);
  const o = await Promise.all(crowd.map(firstX509));
  const m = new Map<string, number>(); for (const d of o.map(describeOutcome)) m.set(d, (m.get(d) ?? 0) + 1);
  if (m.size > 1) console.log(m, renderLogs(logs.filter(l => l.level !== 'debug' && l.level !== 'info')));
  await closeAll(crowd);
});
