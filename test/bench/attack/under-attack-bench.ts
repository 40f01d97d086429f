import { AgentHandle } from '../agent/agent-handle.js';
import type { BenchPlan } from '../bench-plan.js';
import type { BenchNode } from '../node/bench-node.js';
import type { Figure } from '../report.js';
import { forkBenchChild, stopChild } from '../support/children.js';
import type { BenchChild } from '../support/children.js';
import { summarize } from '../support/stats.js';
import { startHostile } from '../../support/hostile-workload.js';
import type { HostileReport, HostileWorkload } from '../../support/hostile-workload.js';

// Issue 10 "under attack": while a hostile pod runs each flood of the hostile-pod tests (streams
// past its bound, connections that never speak HTTP/2, health watches from outside any pod, an
// HTTP/2 Rapid Reset loop), a healthy workload measures a new pod's first X509-SVID and the cached
// FetchX509SVID, beside the same figures on the same agent before any flood. The agent runs alone
// in its process with the image's node flags, so its peak RSS (getrusage maxrss) is its own.

const GROUP = 'Under attack (Conjur agent, one hostile pod at a time)';
const MB = 1024 * 1024;
const RSS_TARGET_MB = 200;

interface Flood {
  readonly name: string;
  readonly label: string;
  readonly inPod: boolean;
  readonly args: readonly (string | number)[];
  /** The report that says the flood is in place. */
  readonly ready: keyof HostileReport;
}

const FLOODS: readonly Flood[] = [
  { name: 'streams', label: '4,000 FetchX509SVID streams (512 held)', inPod: true, args: ['streams', 40, 100], ready: 'answers' },
  { name: 'idle', label: '600 connections that never speak HTTP/2', inPod: true, args: ['idle', 600], ready: 'connected' },
  { name: 'watches', label: '1,000 health watches from outside pods', inPod: false, args: ['streams', 10, 100, '/grpc.health.v1.Health/Watch'], ready: 'answers' },
  { name: 'reset', label: 'HTTP/2 Rapid Reset, connection after connection', inPod: true, args: ['reset-loop', 2_000], ready: 'goaway' },
];

interface Measured {
  readonly firstSvidMs: number[];
  readonly cachedMs: number[];
}

export async function benchUnderAttack(plan: BenchPlan, node: BenchNode, dir: string, profileDir?: string): Promise<Figure[]> {
  const agent = await AgentHandle.startNode(node, dir, profileDir);
  const client = await forkBenchChild('clients/client-process');
  const known = node.addNewPod();
  const figures: Figure[] = [];
  try {
    node.placeInPod(client.pid, known);
    await client.ipc.call('cached-svid', { socketPath: agent.socketPath, samples: 5 }, 60_000); // issues the known pod's SVID
    const quiet = await measure(plan, node, agent, client, known);
    figures.push(...quietFigures(quiet));
    for (const flood of FLOODS) {
      const hostile = startHostile(node.node, flood.inPod ? node.addNewPod() : undefined, flood.args);
      try {
        await hostile.next(flood.ready, 60_000);
        figures.push(...floodFigures(flood, quiet, await measure(plan, node, agent, client, known)));
      } finally {
        await stop(hostile);
      }
    }
    const peakMb = (await agent.usage()).peakRssBytes / MB;
    figures.push({
      id: 'attack.peakRss',
      group: GROUP,
      label: 'agent peak RSS over all the floods',
      value: peakMb,
      unit: 'MB',
      target: { text: `< ${RSS_TARGET_MB} MB`, met: peakMb < RSS_TARGET_MB },
    });
  } finally {
    await stopChild(client);
    await agent.stop();
  }
  return figures;
}

/** New pods' first SVIDs (the client moves into each), then the cached path back in the known pod. */
async function measure(plan: BenchPlan, node: BenchNode, agent: AgentHandle, client: BenchChild, known: ReturnType<BenchNode['addNewPod']>): Promise<Measured> {
  const firstSvidMs: number[] = [];
  for (let i = 0; i < plan.attack.newPods; i++) {
    const pod = node.addNewPod();
    node.placeInPod(client.pid, pod);
    const { svidMs } = await client.ipc.call<{ svidMs: number }>('first-svid-token', { socketPath: agent.socketPath }, 60_000);
    firstSvidMs.push(svidMs);
    node.deletePod(pod);
  }
  node.placeInPod(client.pid, known);
  const cachedMs = await client.ipc.call<number[]>('cached-svid', { socketPath: agent.socketPath, samples: plan.attack.cachedSamples }, 120_000);
  return { firstSvidMs, cachedMs };
}

function quietFigures(quiet: Measured): Figure[] {
  return [
    { id: 'attack.quiet.firstSvid.p50', group: GROUP, label: `quiet: new pod's first X509-SVID, p50 (n=${quiet.firstSvidMs.length})`, value: summarize(quiet.firstSvidMs).p50, unit: 'ms' },
    { id: 'attack.quiet.cached.p99', group: GROUP, label: `quiet: cached FetchX509SVID, existing connection, p99 (n=${quiet.cachedMs.length})`, value: summarize(quiet.cachedMs).p99, unit: 'ms' },
  ];
}

function floodFigures(flood: Flood, quiet: Measured, attacked: Measured): Figure[] {
  const within2x = (value: number, floor: number) => ({ text: '<= 2x quiet', met: value <= 2 * floor });
  const first = summarize(attacked.firstSvidMs).p50;
  const quietFirst = summarize(quiet.firstSvidMs).p50;
  const cached = summarize(attacked.cachedMs).p99;
  const quietCached = summarize(quiet.cachedMs).p99;
  return [
    {
      id: `attack.${flood.name}.firstSvid.p50`,
      group: GROUP,
      label: `${flood.label}: new pod's first X509-SVID, p50`,
      value: first,
      unit: 'ms',
      floor: { label: 'quiet, same agent', value: quietFirst },
      target: within2x(first, quietFirst),
    },
    {
      id: `attack.${flood.name}.cached.p99`,
      group: GROUP,
      label: `${flood.label}: cached FetchX509SVID, p99`,
      value: cached,
      unit: 'ms',
      floor: { label: 'quiet, same agent', value: quietCached },
      target: within2x(cached, quietCached),
    },
  ];
}

async function stop(hostile: HostileWorkload): Promise<void> {
  await hostile.kill();
}
