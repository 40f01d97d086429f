import { AgentHandle } from '../agent/agent-handle.js';
import type { ProbeRecord } from '../agent/probes.js';
import type { BenchPlan } from '../bench-plan.js';
import type { BenchNode } from '../node/bench-node.js';
import type { Figure } from '../report.js';
import { forkBenchChild, stopChild } from '../support/children.js';
import { sleepMs, summarize } from '../support/stats.js';

// Issue 4/7 "new pod": a workload process in a pod created just before it calls asks for its
// X509-SVID and its Conjur token at once; the Conjur double adds no delay. The agent's probes time
// each upstream round trip in the same sample, so the total splits into double time (kubelet and
// API server answers, inject_client_cert including Conjur's exec into the pod, authenticate) and
// agent time (everything else: attestation logic, keys and CSR, confirm, gRPC).

const GROUP = 'New pod (Conjur agent, zero Conjur delay)';

interface Sample {
  readonly svidMs: number;
  readonly tokenMs: number;
  readonly kubeMs: number;
  readonly injectMs: number;
  readonly authenticateMs: number;
  readonly injects: number;
  readonly authenticates: number;
}

export async function benchNewPod(plan: BenchPlan, node: BenchNode, dir: string, profileDir?: string): Promise<Figure[]> {
  const agent = await AgentHandle.startNode(node, dir, profileDir);
  const client = await forkBenchChild('clients/client-process');
  const samples: Sample[] = [];
  try {
    for (let i = 0; i < plan.newPod.samples; i++) {
      await sleepMs(plan.newPod.spacingMs);
      const pod = node.addNewPod();
      node.placeInPod(client.pid, pod);
      await agent.drainProbes();
      const before = node.upstreamCalls();
      const { svidMs, tokenMs } = await client.ipc.call<{ svidMs: number; tokenMs: number }>('first-svid-token', { socketPath: agent.socketPath }, 60_000);
      const after = node.upstreamCalls();
      const { records } = await agent.drainProbes();
      const workload = records.filter((r) => r.kind !== 'authenticate' || r.detail === pod.login);
      samples.push({
        svidMs,
        tokenMs,
        kubeMs: total(workload, 'kubelet') + total(workload, 'api'),
        injectMs: total(workload, 'inject'),
        authenticateMs: total(workload, 'authenticate'),
        injects: after.inject - before.inject,
        authenticates: after.authenticate - before.authenticate,
      });
      node.deletePod(pod);
    }
  } finally {
    await stopChild(client);
    await agent.stop();
  }
  return toFigures(samples);
}

function total(records: readonly ProbeRecord[], kind: ProbeRecord['kind']): number {
  return records.filter((r) => r.kind === kind).reduce((sum, r) => sum + r.ms, 0);
}

function toFigures(samples: readonly Sample[]): Figure[] {
  const p50 = (pick: (s: Sample) => number) => summarize(samples.map(pick)).p50;
  const n = samples.length;
  const svidDoubles = (s: Sample) => s.kubeMs + s.injectMs;
  const tokenDoubles = (s: Sample) => s.kubeMs + s.injectMs + s.authenticateMs;
  return [
    { id: 'newPod.svid.p50', group: GROUP, label: `first X509-SVID, p50 (n=${n})`, value: p50((s) => s.svidMs), unit: 'ms' },
    { id: 'newPod.svid.max', group: GROUP, label: `first X509-SVID, max (n=${n})`, value: summarize(samples.map((s) => s.svidMs)).max, unit: 'ms' },
    { id: 'newPod.svid.kube', group: GROUP, label: '  of which kubelet + API server round trips, p50', value: p50((s) => s.kubeMs), unit: 'ms' },
    { id: 'newPod.svid.inject', group: GROUP, label: '  of which inject_client_cert round trip (Conjur + exec), p50', value: p50((s) => s.injectMs), unit: 'ms' },
    { id: 'newPod.svid.agent', group: GROUP, label: '  of which agent (total - doubles), p50', value: p50((s) => s.svidMs - svidDoubles(s)), unit: 'ms' },
    { id: 'newPod.token.p50', group: GROUP, label: `first Conjur token, p50 (n=${n})`, value: p50((s) => s.tokenMs), unit: 'ms' },
    { id: 'newPod.token.authenticate', group: GROUP, label: '  of which authenticate round trip (mutual TLS), p50', value: p50((s) => s.authenticateMs), unit: 'ms' },
    { id: 'newPod.token.agent', group: GROUP, label: '  of which agent (total - doubles), p50', value: p50((s) => s.tokenMs - tokenDoubles(s)), unit: 'ms' },
    { id: 'newPod.conjurCalls', group: GROUP, label: 'Conjur calls per new pod (inject + authenticate), mean', value: samples.reduce((sum, s) => sum + s.injects + s.authenticates, 0) / Math.max(1, n), unit: 'calls' },
  ];
}
