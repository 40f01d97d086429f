import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigOverrides } from '../../../src/config/index.js';
import { SimulatedNode } from '../../support/simulated-node.js';
import type { SimulatedPod } from '../../support/simulated-node.js';

// The Kubernetes node every agent-wide bench runs against: test/support's SimulatedNode (kubelet,
// API server with exec, Conjur, a procfs root, a kubelet pods directory) with the agent's own pod
// and `podCount` workload pods, plus the agent configuration that points at it. The trust bundle
// is a file (a supported production setting) so that a bundle change can be made on demand.

export const AGENT_NAMESPACE = 'conjur-spiffe';
export const WORKLOAD_NAMESPACE = 'bench';

export class BenchNode {
  private newPods = 0;

  private constructor(
    readonly node: SimulatedNode,
    readonly agentPod: SimulatedPod,
    readonly workloadPods: readonly SimulatedPod[],
    readonly bundleFile: string,
  ) {}

  static async start(podCount: number): Promise<BenchNode> {
    const node = await SimulatedNode.start();
    // Conjur's exec timeout is 5 s; on a loaded 2-core machine a burst of execs can take longer,
    // which would turn into 401s unrelated to the agent. The bench measures, it does not test that.
    node.conjur.execTimeoutMs = 30_000;
    const agentPod = node.addPod({ namespace: AGENT_NAMESPACE, name: 'agent', serviceAccount: 'conjur-spiffe-agent' });
    const workloadPods = Array.from({ length: podCount }, (_, i) => node.addPod({ namespace: WORKLOAD_NAMESPACE, name: `app-${String(i).padStart(3, '0')}` }));
    const bundleDir = join(node.dirs.root, 'bundle');
    mkdirSync(bundleDir);
    const bench = new BenchNode(node, agentPod, workloadPods, join(bundleDir, 'authn-k8s-ca.pem'));
    bench.writeBundle([node.conjur.caCertPem]);
    return bench;
  }

  /** What `conjur-spiffe-agent run` would get from its DaemonSet, pointed at this node's doubles. */
  agentOverrides(socketPath: string): ConfigOverrides {
    const { node, agentPod } = this;
    return {
      trustDomain: node.options.trustDomain,
      nodeName: node.options.nodeName,
      podName: agentPod.name,
      podNamespace: agentPod.namespace,
      socketPath,
      procRoot: node.dirs.procRoot,
      kubeletPodsDir: node.dirs.podsDir,
      shutdownGrace: '1s',
      'kubelet.url': node.kubelet.url,
      'kubelet.tokenFile': node.dirs.tokenFile,
      'kubelet.caFile': node.dirs.caFile,
      'kubernetes.kubeconfig': node.dirs.kubeconfig,
      'conjur.applianceUrl': node.conjur.url,
      'conjur.authnUrl': `${node.conjur.url}/authn-k8s/${node.conjur.serviceId}`,
      'conjur.account': node.conjur.account,
      'conjur.authnLogin': agentPod.login,
      'conjur.certFile': node.dirs.conjurCaFile,
      'conjur.agentSslDir': agentPod.sslDir,
      'conjur.bundleFile': this.bundleFile,
      'metrics.listen': '127.0.0.1:0',
      'health.listen': '127.0.0.1:0',
    };
  }

  /** Replaces the bundle file atomically, as a ConfigMap update does (the agent watches its directory). */
  writeBundle(pems: readonly string[]): void {
    const temporary = `${this.bundleFile}.tmp`;
    writeFileSync(temporary, pems.join(''));
    renameSync(temporary, this.bundleFile);
  }

  /** A pod created now (API server, kubelet, Conjur host): a "new pod" for the agent. */
  addNewPod(): SimulatedPod {
    return this.node.addPod({ namespace: 'bench-new', name: `new-${this.newPods++}` });
  }

  deletePod(pod: SimulatedPod): void {
    this.node.deletePod(pod);
  }

  placeInPod(pid: number, pod: SimulatedPod): void {
    this.node.placeInPod(pid, pod);
  }

  /** Kubelet GET /pods and Conjur calls so far, as the doubles counted them. */
  upstreamCalls(): { kubelet: number; inject: number; authenticate: number; secrets: number } {
    return { kubelet: this.node.kubelet.requests, ...this.node.conjur.calls };
  }

  /**
   * inject_client_cert requests the Conjur double is answering at once: the most since the last
   * call (the peak restarts from the number open now), and each inject's time at the double since
   * request number `sinceInject` (counted as in upstreamCalls).
   */
  injectsAtConjur(sinceInject: number): { peak: number; durationsMs: number[] } {
    const { conjur } = this.node;
    const peak = conjur.injectsInFlight.peak;
    conjur.injectsInFlight.peak = conjur.injectsInFlight.now;
    const injects = conjur.requestsFor({ route: 'inject' }).slice(sinceInject);
    return { peak, durationsMs: injects.flatMap((r) => (r.durationMs === undefined ? [] : [r.durationMs])) };
  }

  /** Bytes of the kubelet's /pods answer for this node. */
  kubeletResponseBytes(): number {
    return Buffer.byteLength(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [...this.node.pods.values()].map((p) => p.json) }));
  }

  close(): Promise<void> {
    return this.node.close();
  }
}
