import { status } from '@grpc/grpc-js';
import { startAgent } from '../../../src/agent.js';
import type { Agent } from '../../../src/agent.js';
import type { ConfigOverrides } from '../../../src/config/index.js';
import type { X509SVIDResponse__Output } from '../../../src/gen/X509SVIDResponse.js';
import { recordingLogger } from '../../support/workload-endpoint-fixture.js';
import type { LogRecord } from '../../support/workload-endpoint-fixture.js';
import { StreamReader } from '../../support/workload-client.js';
import type { RealApiNode } from '../../support/real-kube/real-api-node.js';
import type { SimulatedPod } from '../../support/simulated-node.js';
import { eventually } from '../e2e-harness.js';
import { openPodCaller } from '../pod-caller.js';
import type { PodCaller } from '../pod-caller.js';

// The real agent on a RealApiNode (in this process, as the e2e suite runs it), and workloads that
// hold an X509-SVID stream open from a process placed in their pod.

export interface RunningAgent {
  readonly agent: Agent;
  readonly logs: LogRecord[];
}

export async function startRealApiAgent(node: RealApiNode, overrides: ConfigOverrides = {}): Promise<RunningAgent> {
  const logs: LogRecord[] = [];
  const agent = await startAgent(node.agentConfig(overrides), { logger: recordingLogger(logs) });
  try {
    await eventually(() => agent.health.readiness().ready, 60_000);
  } catch (error) {
    await agent.close();
    throw new Error(`agent not ready: ${JSON.stringify(agent.health.readiness())}; last logs: ${JSON.stringify(logs.slice(-5))}`, { cause: error });
  }
  return { agent, logs };
}

export interface HeldStream {
  readonly caller: PodCaller;
  readonly reader: StreamReader<X509SVIDResponse__Output>;
  readonly first: X509SVIDResponse__Output;
}

/** A process in `pod` with its FetchX509SVID stream open and the first message read (Unavailable is retried, as SPIFFE clients do). */
export async function holdSvidStream(node: RealApiNode, pod: SimulatedPod, limitMs = 30_000): Promise<HeldStream> {
  const caller = await openPodCaller(node, pod);
  const deadline = Date.now() + limitMs;
  for (;;) {
    const reader = new StreamReader(caller.client.fetchX509Svid());
    try {
      return { caller, reader, first: await reader.next() };
    } catch (error) {
      const end = await reader.ended;
      if (end.code !== status.UNAVAILABLE || Date.now() > deadline) {
        await caller.close();
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** The status a held stream ends with, or a failure after `limitMs`. */
export async function endOf(held: HeldStream, limitMs = 60_000): Promise<{ code: status; details: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`stream still open after ${limitMs} ms`)), limitMs)));
  try {
    return await Promise.race([held.reader.ended, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function linesWith(logs: readonly LogRecord[], message: string): LogRecord[] {
  return logs.filter((r) => r.message === message);
}
