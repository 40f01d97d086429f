import { status } from '@grpc/grpc-js';
import { startAgent } from '../../../src/agent.js';
import type { Agent } from '../../../src/agent.js';
import { silentLogger } from '../../../src/log/index.js';
import { nodeAgentConfig } from '../../support/node-agent.js';
import { lookupRealKubeBinaries, findOrBuildRealKubeBinaries, INSTALL_HINT } from '../../support/real-kube/binaries.js';
import { RealApiNode } from '../../support/real-kube/real-api-node.js';
import { RealKubeCluster } from '../../support/real-kube/real-kube-cluster.js';
import { SimulatedNode } from '../../support/simulated-node.js';
import type { SimulatedPod } from '../../support/simulated-node.js';
import { FETCH_X509_SVID, connect, firstMessage, openStream } from '../clients/raw-grpc.js';
import type { BenchPlan } from '../bench-plan.js';
import type { Figure } from '../report.js';
import { sleepMs, summarize } from '../support/stats.js';

// "With the real API server": the same two measurements against a real kube-apiserver + etcd
// (test/support/real-kube) and against the project's API server double, in the same run, with
// the same in-process agent and the same caller (this process, placed in each new pod):
//   first SVID of a new pod: the pod exists and runs (API server, kubelet); time from the
//     FetchX509SVID call to its first message (attestation incl. the API cross-check, inject
//     through Conjur, which reads the pod from that API server, confirm);
//   deletion -> eviction: time from the DELETE request (grace period 0) until the pod's open
//     stream ends with PermissionDenied (the watch event reaching the agent, and the eviction).

const GROUP = 'Real API server (kube-apiserver v1.34 + etcd) beside the API server double';

interface Node {
  addPod(namespace: string, name: string): Promise<SimulatedPod>;
  deletePod(pod: SimulatedPod): Promise<void>;
  placeInPod(pid: number, pod: SimulatedPod): void;
  readonly socketPath: string;
}

interface Samples {
  readonly firstSvidMs: number[];
  readonly evictionMs: number[];
}

export async function benchRealApi(plan: BenchPlan, progress: (line: string) => void): Promise<Figure[]> {
  const lookup = lookupRealKubeBinaries();
  if (lookup.kind === 'no-go') {
    progress(`bench: real-api skipped: ${lookup.reason}; ${INSTALL_HINT}`);
    return [];
  }
  const binaries = await findOrBuildRealKubeBinaries(progress);
  const cluster = await RealKubeCluster.start({ binaries });
  let realNode: RealApiNode | undefined;
  let simulated: SimulatedNode | undefined;
  const agents: Agent[] = [];
  try {
    realNode = await RealApiNode.start(cluster);
    await realNode.addAgentPod();
    const realAgent = await startAgent(realNode.agentConfig(), { logger: silentLogger });
    agents.push(realAgent);
    const ns = await cluster.createNamespace('bench');
    const real: Node = {
      addPod: (_namespace, name) => realNode!.addPod({ namespace: ns, name }),
      deletePod: (pod) => realNode!.deletePod(pod),
      placeInPod: (pid, pod) => realNode!.placeInPod(pid, pod),
      socketPath: realNode.socketPath,
    };
    simulated = await SimulatedNode.start();
    const agentPod = simulated.addAgentPod();
    const doubleAgent = await startAgent(nodeAgentConfig(simulated, agentPod), { logger: silentLogger });
    agents.push(doubleAgent);
    const sim = simulated;
    const double: Node = {
      addPod: (namespace, name) => Promise.resolve(sim.addPod({ namespace, name })),
      deletePod: (pod) => Promise.resolve(sim.deletePod(pod)),
      placeInPod: (pid, pod) => sim.placeInPod(pid, pod),
      socketPath: sim.socketPath,
    };
    await waitReady(realAgent);
    await waitReady(doubleAgent);
    // One warm-up pod each (first TLS handshakes, JIT), then interleaved samples.
    await sample(real, 'warmup-real');
    await sample(double, 'warmup-double');
    const realSamples: Samples = { firstSvidMs: [], evictionMs: [] };
    const doubleSamples: Samples = { firstSvidMs: [], evictionMs: [] };
    for (let i = 0; i < plan.realApi.samples; i++) {
      await sleepMs(plan.realApi.spacingMs);
      push(realSamples, await sample(real, `real-${i}`));
      await sleepMs(plan.realApi.spacingMs);
      push(doubleSamples, await sample(double, `double-${i}`));
    }
    return toFigures(realSamples, doubleSamples);
  } finally {
    for (const agent of agents) await agent.close();
    await realNode?.close();
    await simulated?.close();
    await cluster.close();
  }
}

function push(samples: Samples, one: { firstSvidMs: number; evictionMs: number }): void {
  samples.firstSvidMs.push(one.firstSvidMs);
  samples.evictionMs.push(one.evictionMs);
}

async function sample(node: Node, name: string): Promise<{ firstSvidMs: number; evictionMs: number }> {
  const pod = await node.addPod('bench-new', name);
  node.placeInPod(process.pid, pod);
  const client = connect(node.socketPath);
  try {
    const started = performance.now();
    const stream = openStream(client, FETCH_X509_SVID);
    const ended = new Promise<{ code: number; details: string }>((resolve) => stream.once('status', (s: { code: number; details: string }) => resolve(s)));
    await firstMessage(stream);
    const firstSvidMs = performance.now() - started;
    const deleting = performance.now();
    await node.deletePod(pod);
    const end = await ended;
    const evictionMs = performance.now() - deleting;
    if (end.code !== status.PERMISSION_DENIED) throw new Error(`stream of ${name} ended with ${end.code} ${end.details}, not PermissionDenied`);
    return { firstSvidMs, evictionMs };
  } finally {
    client.close();
  }
}

async function waitReady(agent: Agent): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!agent.health.readiness().ready) {
    if (Date.now() > deadline) throw new Error(`agent not ready: ${JSON.stringify(agent.health.readiness())}`);
    await sleepMs(50);
  }
}

function toFigures(real: Samples, double: Samples): Figure[] {
  const n = real.firstSvidMs.length;
  const r = { svid: summarize(real.firstSvidMs), evict: summarize(real.evictionMs) };
  const d = { svid: summarize(double.firstSvidMs), evict: summarize(double.evictionMs) };
  return [
    { id: 'realApi.firstSvid.p50', group: GROUP, label: `new pod: first X509-SVID with the real API server, p50 (n=${n})`, value: r.svid.p50, unit: 'ms', floor: { label: 'same with the API server double', value: d.svid.p50 } },
    { id: 'realApi.firstSvid.max', group: GROUP, label: `new pod: first X509-SVID with the real API server, max (n=${n})`, value: r.svid.max, unit: 'ms', floor: { label: 'same with the API server double', value: d.svid.max } },
    { id: 'realApi.eviction.p50', group: GROUP, label: `deletion -> eviction (stream ends PermissionDenied), real API server, p50 (n=${n})`, value: r.evict.p50, unit: 'ms', floor: { label: 'same with the API server double', value: d.evict.p50 } },
    { id: 'realApi.eviction.max', group: GROUP, label: `deletion -> eviction, real API server, max (n=${n})`, value: r.evict.max, unit: 'ms', floor: { label: 'same with the API server double', value: d.evict.max } },
  ];
}
