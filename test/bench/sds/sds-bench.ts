import { AgentHandle } from '../agent/agent-handle.js';
import type { BenchPlan } from '../bench-plan.js';
import type { FirstSdsSamples } from '../clients/sds-samples.js';
import type { BenchNode } from '../node/bench-node.js';
import type { Figure } from '../report.js';
import { awaitFirstMessages, placeStreams } from '../scale/place-streams.js';
import { forkBenchChild, stopChild } from '../support/children.js';
import type { BenchChild } from '../support/children.js';
import { summarize } from '../support/stats.js';
import type { Summary } from '../support/stats.js';

// Issue 13: Envoy SDS on the agent's socket, each figure beside the Workload API's in the same
// run and agent process. (1) Time to the first SDS response (StreamSecrets for default + ROOTCA)
// for a pod whose SVID the agent holds, beside the first FetchX509SVID message. (2) A CA bundle
// rotation pushed to pods x streamsPerPod open SDS streams (each ACKing as Envoy does), beside the
// same rotation pushed to as many FetchX509SVID streams.

const GROUP = 'Envoy SDS beside the Workload API (Conjur agent, one process)';
const WAIT_MS = 120_000;

export async function benchSds(plan: BenchPlan, node: BenchNode, dir: string, progress: (line: string) => void, profileDir?: string): Promise<Figure[]> {
  const clients: BenchChild[] = [];
  const agent = await AgentHandle.startNode(node, dir, profileDir);
  try {
    for (let i = 0; i < plan.scale.clients; i++) clients.push(await forkBenchChild('clients/client-process'));
    const streams = node.workloadPods.length * plan.scale.streamsPerPod;
    progress(`bench: sds: ${streams} FetchX509SVID streams, then a CA rotation`);
    const x509 = await rotationLatencies(node, agent, clients, plan, 'x509');
    progress(`bench: sds: ${streams} SDS streams, then a CA rotation`);
    const sds = await rotationLatencies(node, agent, clients, plan, 'sds');
    progress('bench: sds: first responses');
    const first = await firstResponses(node, clients[0]!, agent, plan);
    return [...firstFigures(first), ...rotationFigures(sds.rotation, x509.rotation, streams), ...fillFigures(sds.fill, x509.fill)];
  } finally {
    await Promise.all(clients.map((c) => stopChild(c)));
    await agent.stop();
  }
}

/** Opens one stream kind for every pod, rotates the CA bundle, and times its arrival on each stream. */
async function rotationLatencies(node: BenchNode, agent: AgentHandle, clients: readonly BenchChild[], plan: BenchPlan, kind: 'x509' | 'sds'): Promise<{ rotation: Summary; fill: Summary }> {
  const placement = { socketPath: agent.socketPath, streamsPerPod: plan.scale.streamsPerPod, connectionsPerClient: plan.scale.connectionsPerClient, kind };
  await placeStreams(node, agent, clients, node.workloadPods, placement);
  const fill = summarize(await awaitFirstMessages(clients, WAIT_MS));
  await Promise.all(clients.map((c) => c.ipc.call('arm')));
  const rotatedAt = process.hrtime.bigint();
  node.writeBundle([node.node.conjur.caCertPem, node.node.ca.certPem]);
  const arrivals = (await Promise.all(clients.map((c) => c.ipc.call<number[]>('collect-armed', { timeoutMs: 30_000 }, 35_000)))).flat();
  // The rotation back reaches the streams too; let it land before they close (armed before the
  // write, or a fast push could arrive before a client is listening for it).
  await Promise.all(clients.map((c) => c.ipc.call('arm')));
  node.writeBundle([node.node.conjur.caCertPem]);
  await Promise.all(clients.map((c) => c.ipc.call('collect-armed', { timeoutMs: 30_000 }, 35_000)));
  await Promise.all(clients.map((c) => c.ipc.call('close-streams')));
  return { rotation: summarize(arrivals.map((ns) => (ns - Number(rotatedAt)) / 1e6)), fill };
}

async function firstResponses(node: BenchNode, client: BenchChild, agent: AgentHandle, plan: BenchPlan): Promise<FirstSdsSamples> {
  const pod = node.workloadPods[0]!;
  node.placeInPod(client.pid, pod);
  return client.ipc.call<FirstSdsSamples>('first-sds', { socketPath: agent.socketPath, ...plan.sds }, 600_000);
}

function firstFigures(samples: FirstSdsSamples): Figure[] {
  const sds = summarize(samples.sds);
  const svid = summarize(samples.svid);
  const floorLabel = 'first FetchX509SVID message, same pod and run';
  return [
    { id: 'sds.first.p50', group: GROUP, label: `first SDS response (default + ROOTCA), known pod, existing connection, p50 (n=${sds.count})`, value: sds.p50, unit: 'ms', floor: { label: floorLabel, value: svid.p50 } },
    {
      id: 'sds.first.p99',
      group: GROUP,
      label: `first SDS response, p99 (n=${sds.count})`,
      value: sds.p99,
      unit: 'ms',
      floor: { label: floorLabel, value: svid.p99 },
      target: { text: 'p99 <= 2x FetchX509SVID p99', met: sds.p99 <= 2 * svid.p99 },
    },
  ];
}

function rotationFigures(sds: Summary, x509: Summary, streams: number): Figure[] {
  const floorLabel = `same rotation to ${x509.count} FetchX509SVID streams`;
  return [
    { id: 'sds.rotation.p50', group: GROUP, label: `CA rotation pushed to every SDS stream (file write to response), p50 (n=${sds.count})`, value: sds.p50, unit: 'ms', floor: { label: floorLabel, value: x509.p50 } },
    { id: 'sds.rotation.p99', group: GROUP, label: 'CA rotation pushed to every SDS stream, p99', value: sds.p99, unit: 'ms', floor: { label: floorLabel, value: x509.p99 } },
    {
      id: 'sds.rotation.max',
      group: GROUP,
      label: 'CA rotation pushed to every SDS stream, max',
      value: sds.max,
      unit: 'ms',
      floor: { label: floorLabel, value: x509.max },
      target: { text: `all ${streams} SDS streams within 1 s`, met: sds.max <= 1_000 && sds.count === streams },
    },
  ];
}

function fillFigures(sds: Summary, x509: Summary): Figure[] {
  return [
    {
      id: 'sds.fill.p50',
      group: GROUP,
      label: `open to first response while ${sds.count} SDS streams open (identities cached), p50`,
      value: sds.p50,
      unit: 'ms',
      floor: { label: `FetchX509SVID streams opened first (cold: includes issuance)`, value: x509.p50 },
    },
  ];
}
