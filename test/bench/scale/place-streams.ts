import type { AgentHandle } from '../agent/agent-handle.js';
import type { BenchNode } from '../node/bench-node.js';
import type { BenchChild } from '../support/children.js';
import type { SimulatedPod } from '../../support/simulated-node.js';

// Opens `streamsPerPod` FetchX509SVID streams for every pod from a few client processes. The
// agent attests each call from the caller's pid via <procRoot>/<pid>/cgroup, so a client process
// stands in for one pod after another: its cgroup file is rewritten for the next pod only once
// the agent has attested the previous pod's calls (the agent's attestation probe says so). The
// agent issues in the background meanwhile, so issuance runs as concurrently as its bound allows.

export interface Placement {
  readonly socketPath: string;
  readonly streamsPerPod: number;
  readonly connectionsPerClient: number;
  /** FetchX509SVID (default) or Envoy SDS streams. */
  readonly kind?: 'x509' | 'sds';
}

export async function placeStreams(node: BenchNode, agent: AgentHandle, clients: readonly BenchChild[], pods: readonly SimulatedPod[], placement: Placement): Promise<void> {
  await Promise.all(
    clients.map(async (client, c) => {
      for (let i = c; i < pods.length; i += clients.length) {
        const pod = pods[i]!;
        node.placeInPod(client.pid, pod);
        const attested = agent.expectAttested(client.pid, pod.uid, placement.streamsPerPod);
        await client.ipc.call('open', { socketPath: placement.socketPath, connections: placement.connectionsPerClient, count: placement.streamsPerPod, kind: placement.kind ?? 'x509' });
        await attested;
      }
    }),
  );
}

/** Milliseconds from open to first message for every stream of every client (waits for all). */
export async function awaitFirstMessages(clients: readonly BenchChild[], timeoutMs: number): Promise<number[]> {
  const perClient = await Promise.all(clients.map((c) => c.ipc.call<number[]>('await-first', { timeoutMs }, timeoutMs + 5_000)));
  return perClient.flat();
}
