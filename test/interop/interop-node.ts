import type { Agent } from '../../src/agent.js';
import type { ConfigOverrides } from '../../src/config/index.js';
import { startNodeAgent } from '../support/node-agent.js';
import { SimulatedNode } from '../support/simulated-node.js';
import type { AddPodOptions, SimulatedPod } from '../support/simulated-node.js';
import { startInPod } from './client-process.js';
import type { ClientProcess, ClientProcessOptions } from './client-process.js';

// The node every interop suite runs on: the real agent wired to the doubles (kubelet, API server,
// Conjur), so SVIDs are Conjur-signed exactly as in production; client processes started here are
// tracked so teardown can always stop them, and the suite can check the agent is left with no
// open connection or stream.

/**
 * Renew when this fraction of Conjur's fixed 3-day lifetime has passed: about 2.6 s, so a test
 * sees a real renewal (a new certificate from Conjur pushed on the open stream) within seconds.
 */
export const FAST_RENEW_AT_FRACTION = 0.00001;
export const FAST_RENEWAL_OVERRIDES: ConfigOverrides = {
  'svid.renewAtFraction': FAST_RENEW_AT_FRACTION,
  'svid.renewJitterFraction': 0,
};

export class InteropNode {
  private readonly processes = new Set<ClientProcess>();

  private constructor(
    readonly node: SimulatedNode,
    readonly agent: Agent,
  ) {}

  static async start(overrides: ConfigOverrides = {}): Promise<InteropNode> {
    const node = await SimulatedNode.start();
    try {
      // INTEROP_AGENT_LOG=1 writes the agent's JSON log lines to stderr, for debugging a failure.
      const agent = await startNodeAgent(node, { overrides, verbose: process.env.INTEROP_AGENT_LOG === '1' });
      const started = new InteropNode(node, agent);
      await started.ready();
      return started;
    } catch (error) {
      await node.close();
      throw error;
    }
  }

  /**
   * Waits for the agent's /ready (API server synced, agent authenticated to Conjur, CA bundle
   * loaded), as workloads on a real node start after the DaemonSet pod is Ready. Before that the
   * agent answers Unavailable, which go-spiffe and spiffe-helper retry but a one-shot fetch does not.
   */
  private async ready(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const report = this.agent.health.readiness();
      if (report.ready) return;
      if (Date.now() > deadline) throw new Error(`the agent is not ready after ${timeoutMs} ms: ${JSON.stringify(report.components)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  addPod(options: AddPodOptions): SimulatedPod {
    return this.node.addPod(options);
  }

  /** Starts a client process in `pod` (on the host, outside any pod, when undefined). */
  run(pod: SimulatedPod | undefined, command: string, args: readonly string[], options: ClientProcessOptions): ClientProcess {
    const started = startInPod(this.node, pod, command, args, options);
    this.processes.add(started);
    void started.exited.then(() => this.processes.delete(started));
    return started;
  }

  /** Stops every client still running (teardown: runs whether the test passed or not). */
  async stopClients(): Promise<void> {
    await Promise.all([...this.processes].map((p) => p.stop('SIGKILL')));
  }

  /**
   * Resolves when the agent has no client connection and no open stream left; fails after
   * `timeoutMs` with the counts, so a client connection the agent kept open is reported.
   */
  async drained(timeoutMs = 3000): Promise<void> {
    const { endpoint } = this.agent;
    const deadline = Date.now() + timeoutMs;
    while (endpoint.connectionCount > 0 || endpoint.openStreamCount > 0) {
      if (Date.now() > deadline) {
        throw new Error(`the agent still has ${endpoint.connectionCount} connection(s) and ${endpoint.openStreamCount} stream(s) open after the clients exited`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async close(): Promise<void> {
    await this.stopClients();
    await this.agent.close(100);
    await this.node.close();
  }
}
