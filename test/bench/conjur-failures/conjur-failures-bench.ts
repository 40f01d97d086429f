import { startAgent } from '../../../src/agent.js';
import { silentLogger } from '../../../src/log/index.js';
import { closeAll, openPodCaller } from '../../integration/pod-caller.js';
import { nextAttemptAt, reconnectUntil, RECONNECT_DELAYS_MS } from '../../integration/reconnecting-workload.js';
import { JumpClock } from '../../support/jump-clock.js';
import { nodeAgentConfig } from '../../support/node-agent.js';
import { SimulatedNode } from '../../support/simulated-node.js';
import type { BenchPlan } from '../bench-plan.js';
import type { Figure } from '../report.js';

// Issue 11's budget, measured: a pod whose every inject Conjur answers with an empty 401 (what it
// sends for an exec failure), its workload reconnecting as SPIFFE clients do (at once, then
// 200 ms doubling to 1 s). The real agent runs in this process on a JumpClock shared with the
// Conjur double, so 35 s and then 10 minutes of its time pass in seconds: each reconnect delay,
// and each wait for an answer, moves the clock on; every timer (backoff, request timeout, token
// refresh) fires as it would. The Conjur double counts the requests for that pod. Then the fault
// is cleared and the time until the workload's next SVID is compared with the next attempt the
// agent named. Default backoff: conjur.retryInitial 1 s, conjur.retryMax 3 min.

const GROUP = 'Conjur failures (agent on an accelerated clock, empty 401 on every inject of one pod)';
const FIRST_WINDOW_MS = 35_000;
const FIRST_BUDGET = 8;
const CAP_MS = 3 * 60_000;

export async function benchConjurFailures(plan: BenchPlan): Promise<Figure[]> {
  const laterMs = plan.conjurFailures.laterMs;
  const clock = new JumpClock();
  const node = await SimulatedNode.start({ clock });
  const agentPod = node.addAgentPod();
  const agent = await startAgent(nodeAgentConfig(node, agentPod), { logger: silentLogger, clock });
  try {
    for (let i = 0; i < 400 && !agent.health.readiness().ready; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    const pod = node.addPod({ namespace: 'bench', name: 'failing-0' });
    const scope = { pod: `${pod.namespace}/${pod.name}` };
    const requests = () => node.conjur.requestsFor(scope).length;
    node.conjur.fault('inject', { kind: 'status', status: 401 }, scope);
    const workload = await openPodCaller(node, pod);
    try {
      const start = clock.now();
      const first = await reconnectUntil(workload, clock, 'x509', start + FIRST_WINDOW_MS);
      const inFirst = requests();
      const later = await reconnectUntil(workload, clock, 'x509', start + FIRST_WINDOW_MS + laterMs);
      const inLater = requests() - inFirst;
      const reconnects = first.statuses.length + later.statuses.length;

      const clearedAt = clock.now();
      node.conjur.clearFaults(scope);
      const recovered = await reconnectUntil(workload, clock, 'x509', clearedAt + 2 * CAP_MS);
      const recoveryMs = (recovered.messageAt ?? Number.NaN) - clearedAt;
      // The next attempt as the agent named it to the first reconnect after the clear.
      const namedAt = recovered.statuses.length > 0 ? (nextAttemptAt(recovered.statuses[0]!) ?? Number.NaN) : clearedAt;
      const stepLeftMs = Math.max(0, namedAt - clearedAt);
      const laterBudget = Math.ceil(laterMs / CAP_MS);
      const reconnectDelayMs = RECONNECT_DELAYS_MS.at(-1)!;
      return [
        {
          id: 'conjurFailures.first35s',
          group: GROUP,
          label: `Conjur requests per failing pod, first 35 s (the workload asked ${first.statuses.length} times)`,
          value: inFirst,
          unit: 'requests',
          target: { text: `at most ${FIRST_BUDGET}`, met: inFirst <= FIRST_BUDGET },
        },
        {
          id: 'conjurFailures.next10min',
          group: GROUP,
          label: `Conjur requests per failing pod, next ${laterMs / 60_000} minutes (the workload asked ${later.statuses.length} times)`,
          value: inLater,
          unit: 'requests',
          target: { text: `at most one per cap interval (3 min): ${laterBudget}`, met: inLater <= laterBudget },
        },
        {
          id: 'conjurFailures.recovery',
          group: GROUP,
          label: `recovery after the fault clears: time to the workload's SVID (the agent's next attempt was ${Math.round(stepLeftMs / 1000)} s away)`,
          value: Math.round(recoveryMs / 100) / 10,
          unit: 's',
          target: { text: `within that backoff step + the workload's ${reconnectDelayMs / 1000} s reconnect delay`, met: recoveryMs <= stepLeftMs + reconnectDelayMs + 2_000 },
        },
        { id: 'conjurFailures.reconnects', group: GROUP, label: 'workload reconnects answered without a Conjur request (share)', value: Math.round(((reconnects - inFirst - inLater) / Math.max(1, reconnects)) * 1000) / 10, unit: '%' },
      ];
    } finally {
      await closeAll([workload]);
    }
  } finally {
    await agent.close(500);
    await node.close();
  }
}
