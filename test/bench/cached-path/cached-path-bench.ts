import { join } from 'node:path';
import { AgentHandle } from '../agent/agent-handle.js';
import type { BenchPlan } from '../bench-plan.js';
import type { CachedPathSamples } from '../clients/cached-samples.js';
import type { Figure } from '../report.js';
import { forkBenchChild, stopChild } from '../support/children.js';
import { summarize } from '../support/stats.js';

// Issue 2/7 "cached path": the development agent (real endpoint, peer credentials, unix attestor,
// SVID cache) serves a caller whose identity it already holds; a client process measures time to
// the first FetchX509SVID message next to a plain grpc-js unary call to a trivial server that
// lives in the agent's process (the floor). Target: p99 within 3x the floor.

const GROUP = 'Cached path (dev agent, client in its own process)';
const TARGET_RATIO = 3;

export async function benchCachedPath(plan: BenchPlan, dir: string, profileDir?: string): Promise<Figure[]> {
  const agent = await AgentHandle.startDev(dir, join(dir, 'floor.sock'), profileDir);
  const client = await forkBenchChild('clients/client-process');
  try {
    const samples = await client.ipc.call<CachedPathSamples>(
      'cached',
      { socketPath: agent.socketPath, floorSocketPath: join(dir, 'floor.sock'), ...plan.cached },
      600_000,
    );
    return [
      ...compare('existing', 'existing connection', samples.svidExisting, samples.floorExisting),
      ...compare('new', 'new connection', samples.svidNew, samples.floorNew),
    ];
  } finally {
    await stopChild(client);
    await agent.stop();
  }
}

function compare(key: string, connection: string, svid: number[], floor: number[]): Figure[] {
  const s = summarize(svid);
  const f = summarize(floor);
  const floorLabel = `unary ${connection}`;
  return [
    { id: `cached.${key}.p50`, group: GROUP, label: `first X509-SVID message, ${connection}, p50 (n=${s.count})`, value: s.p50, unit: 'ms', floor: { label: floorLabel, value: f.p50 } },
    {
      id: `cached.${key}.p99`,
      group: GROUP,
      label: `first X509-SVID message, ${connection}, p99 (n=${s.count})`,
      value: s.p99,
      unit: 'ms',
      floor: { label: floorLabel, value: f.p99 },
      target: { text: `p99 <= ${TARGET_RATIO}x floor p99`, met: s.p99 <= TARGET_RATIO * f.p99 },
    },
  ];
}
