import type { BenchPlan } from '../bench-plan.js';
import type { BenchNode } from '../node/bench-node.js';
import type { Figure } from '../report.js';
import { forkBenchChild, stopChild } from '../support/children.js';
import { summarize } from '../support/stats.js';
import type { SimulatedPod } from '../../support/simulated-node.js';
import type { AttestResults } from './attest-process.js';

// Issue 3 "attestation": KubernetesAttestor with KubeletPodSource and ApiServerPodVerifier in a
// process of their own against the node's doubles: attestation time in a known pod (target: no
// kubelet request) and in a new pod, and memory retained for the node's kubelet answer.

const GROUP = 'Attestation (KubernetesAttestor, kubelet + API server doubles)';
const MB = 1024 * 1024;

export async function benchAttestation(plan: BenchPlan, node: BenchNode): Promise<Figure[]> {
  const child = await forkBenchChild('attestation/attest-process', { execArgv: ['--expose-gc'] });
  const created: SimulatedPod[] = [];
  child.ipc.handle('place-known', (params) => {
    const { pid, index } = params as { pid: number; index: number };
    const pod = node.workloadPods[index % node.workloadPods.length]!;
    node.placeInPod(pid, pod);
    return { uid: pod.uid, containerId: pod.containerId };
  });
  child.ipc.handle('place-new', (params) => {
    const pod = node.addNewPod();
    created.push(pod);
    node.placeInPod((params as { pid: number }).pid, pod);
  });
  const kubeletBefore = node.upstreamCalls().kubelet;
  try {
    const { dirs, options } = node.node;
    const r = await child.ipc.call<AttestResults>(
      'run',
      {
        kubeletUrl: node.node.kubelet.url,
        tokenFile: dirs.tokenFile,
        caFile: dirs.caFile,
        kubeconfig: dirs.kubeconfig,
        nodeName: options.nodeName,
        procRoot: dirs.procRoot,
        knownSamples: plan.attestation.knownSamples,
        newSamples: plan.attestation.newSamples,
        minRequestIntervalMs: 500,
      },
      600_000,
    );
    // Two for the warm-up and the first load, one per new pod: anything more was a known pod's.
    const knownPodRequests = node.upstreamCalls().kubelet - kubeletBefore - 2 - r.newKubeletRequests;
    const known = summarize(r.knownMs);
    const fresh = summarize(r.newMs);
    const pods = node.workloadPods.length + 1;
    const kb = Math.round(node.kubeletResponseBytes() / 1024);
    return [
      { id: 'attest.known.p50', group: GROUP, label: `known pod, p50 (n=${known.count})`, value: known.p50, unit: 'ms' },
      { id: 'attest.known.p99', group: GROUP, label: `known pod, p99 (n=${known.count})`, value: known.p99, unit: 'ms' },
      {
        id: 'attest.known.kubeletRequests',
        group: GROUP,
        label: `kubelet requests for ${known.count} known-pod attestations`,
        value: knownPodRequests,
        unit: 'requests',
        target: { text: 'no kubelet request for known pods', met: knownPodRequests === 0 },
      },
      { id: 'attest.new.p50', group: GROUP, label: `new pod, p50 (n=${fresh.count}; ${r.newKubeletRequests} kubelet GETs, ${r.newApiGets} API GETs)`, value: fresh.p50, unit: 'ms' },
      { id: 'attest.new.max', group: GROUP, label: `new pod, max (n=${fresh.count})`, value: fresh.max, unit: 'ms' },
      { id: 'attest.memory.kubeletHeap', group: GROUP, label: `heapUsed retained for the kubelet answer (${pods} pods, ${kb} KB JSON)`, value: (r.afterKubelet.heapUsedBytes - r.baseline.heapUsedBytes) / MB, unit: 'MB' },
      // RSS after GC can even shrink (freed pages go back), so the absolute value is shown next to its baseline.
      { id: 'attest.memory.kubeletRss', group: GROUP, label: `attestor process RSS after loading it (before: ${(r.baseline.rssBytes / MB).toFixed(0)} MB)`, value: r.afterKubelet.rssBytes / MB, unit: 'MB' },
      { id: 'attest.memory.apiViewHeap', group: GROUP, label: `heapUsed retained for the API server pod view (${pods} pods)`, value: (r.afterApiView.heapUsedBytes - r.afterKubelet.heapUsedBytes) / MB, unit: 'MB' },
      { id: 'attest.memory.rss', group: GROUP, label: 'attestor process RSS with both views loaded', value: r.afterApiView.rssBytes / MB, unit: 'MB' },
    ];
  } finally {
    await stopChild(child);
    for (const pod of created) node.deletePod(pod);
  }
}
