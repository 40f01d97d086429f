import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { AGENT_MAIN, agentEnvironment, AgentProcess } from './agent-process.js';
import { showHostProcess, showMutualTls, showSecrets, startApp } from './app-steps.js';
import type { StepContext } from './app-steps.js';
import { startDemoCluster } from './demo-cluster.js';
import type { DemoCluster } from './demo-cluster.js';
import { describeActivity, toAgentActivity } from './metrics-summary.js';
import type { Narrator } from './narrator.js';
import { expectThat, messageOf } from './plain-words.js';
import type { WorkloadProcess } from './workload-process.js';

// The demo from start to finish: simulated node, real agent, sample applications, summary,
// shutdown. Every process and server it starts is stopped by stop(), whether the steps
// succeeded or not; a failed step leaves the narrator pointing at where it happened.

const AGENT_STOP_GRACE_MS = 10_000;
const WORKLOAD_STOP_GRACE_MS = 5_000;

export interface Teardown {
  readonly workloads: readonly { name: string; code: number | null }[];
  readonly agentCode: number | null | undefined;
  readonly socketRemoved: boolean;
  readonly tempDir: string | undefined;
  readonly problems: readonly string[];
}

export class Demo {
  private cluster: DemoCluster | undefined;
  private agent: AgentProcess | undefined;
  private readonly workloads: WorkloadProcess[] = [];

  constructor(
    private readonly say: Narrator,
    private readonly signal: AbortSignal,
  ) {}

  async run(): Promise<void> {
    const cluster = await this.startNode();
    const agent = await this.startAgent(cluster);
    const ctx: StepContext = { say: this.say, signal: this.signal, cluster, agent };
    const payments = this.track(await startApp(ctx, cluster.payments, cluster.orders));
    await showSecrets(ctx, cluster.payments, cluster.orders, payments);
    const listening = await payments.next('listening', this.signal);
    const orders = this.track(await startApp(ctx, cluster.orders, cluster.payments, { PAYMENTS_URL: `https://127.0.0.1:${listening.port}/charges` }));
    await showSecrets(ctx, cluster.orders, cluster.payments, orders);
    await showMutualTls(ctx, payments, orders, listening);
    this.track(await showHostProcess(ctx));
    await this.showSummary(agent);
    await this.showStop();
  }

  /** Stops whatever is still running; never throws. */
  async stop(): Promise<Teardown> {
    const problems: string[] = [];
    const workloads = await Promise.all(this.workloads.map(async (w) => ({ name: w.name, code: await w.stop(WORKLOAD_STOP_GRACE_MS) })));
    const agentCode = this.agent ? await this.agent.stop(AGENT_STOP_GRACE_MS) : undefined;
    const socketRemoved = this.cluster ? !existsSync(this.cluster.node.socketPath) : true;
    const tempDir = this.cluster?.node.dirs.root;
    try {
      await this.cluster?.node.close();
    } catch (error) {
      problems.push(`closing the simulated node failed: ${messageOf(error)}`);
    }
    if (tempDir && existsSync(tempDir)) problems.push(`${tempDir} is still there`);
    this.agent = undefined;
    this.cluster = undefined;
    this.workloads.length = 0;
    return { workloads, agentCode, socketRemoved, tempDir, problems };
  }

  /** The last agent log lines and workload errors, to explain a failure. */
  diagnostics(): string[] {
    const lines: string[] = [];
    const agentTail = this.agent?.tail(15) ?? [];
    if (agentTail.length > 0) lines.push('Last lines of the agent log:', ...agentTail.map((l) => `  ${l}`));
    for (const w of this.workloads) {
      const tail = w.stderrTail();
      if (tail) lines.push(`Standard error of ${w.name}:`, ...tail.split('\n').slice(-10).map((l) => `  ${l}`));
    }
    return lines;
  }

  private track(workload: WorkloadProcess): WorkloadProcess {
    this.workloads.push(workload);
    return workload;
  }

  private async startNode(): Promise<DemoCluster> {
    this.say.step('Start a simulated Kubernetes node with Conjur');
    const cluster = await startDemoCluster();
    this.cluster = cluster;
    const { node, agentPod, payments, orders } = cluster;
    const { conjur } = node;
    const servers: [string, string, string][] = [
      ['Kubernetes API server', node.kubeApi.url, 'pods, watch, and exec into pods'],
      [`kubelet of ${node.options.nodeName}`, node.kubelet.url, 'lists the pods running on this node'],
      ['Conjur', conjur.url, `account ${conjur.account}, Kubernetes authenticator ${conjur.serviceId} with its own CA`],
    ];
    const width = Math.max(...servers.map(([label]) => label.length));
    for (const [label, url, what] of servers) this.say.say(`${label.padEnd(width)}  ${url}  (${what})`);
    this.say.say(`Pod ${agentPod.namespace}/${agentPod.name} is where the agent runs; its Conjur identity is ${agentPod.login}`);
    for (const app of [payments, orders]) {
      this.say.say(`Pod shop/${app.name}: Conjur identity ${app.pod.login}, the only one allowed to read secret ${app.secretId}`);
    }
    this.say.why('these stand-ins speak the real protocols (HTTPS, WebSocket exec, the Conjur API), so the agent below is the one you would deploy.');
    return cluster;
  }

  private async startAgent(cluster: DemoCluster): Promise<AgentProcess> {
    const { node, agentPod } = cluster;
    this.say.step(`Start the agent on ${node.options.nodeName}, built from src/, as its DaemonSet would run it`);
    const agent = AgentProcess.start(cluster);
    this.agent = agent;
    this.say.say(`Command: node ${relative(process.cwd(), AGENT_MAIN)} run --config ${agent.configFile}  (process ${agent.pid})`);
    this.say.say(`Environment, as the DaemonSet sets it: ${Object.keys(agentEnvironment(cluster)).join(', ')}`);
    const wait = (message: string) => agent.log.waitFor((l) => l.msg === message, `the agent's "${message}" log line`, this.signal);
    await wait('Agent certificate injected');
    await wait('Agent authenticated to Conjur');
    await wait('Trust bundle updated');
    const ready = await agent.waitReady(this.signal);
    this.say.say(`It logged in to Conjur as ${agentPod.login}: Conjur wrote a client certificate into the agent's own pod, then gave it an access token`);
    this.say.say(`It loaded the trust bundle: the CA certificate of Conjur's authenticator ${node.conjur.serviceId}`);
    this.say.say(`It is ready: ${ready.url} answers 200 (${ready.components.join(', ')}: all OK)`);
    this.say.say(`Workload API socket: ${node.socketPath}`);
    this.say.why('one agent per node serves every pod on it; applications need no sidecar and no Conjur credentials of their own.');
    return agent;
  }

  private async showSummary(agent: AgentProcess): Promise<void> {
    this.say.step("What the agent did, from its own /metrics");
    const activity = toAgentActivity(await agent.metricsText(this.signal));
    for (const line of describeActivity(activity)) this.say.say(line);
    expectThat(activity.attestations.ok >= 2 && activity.attestations.refused >= 1, 'the metrics do not show the attestations the demo made');
  }

  private async showStop(): Promise<void> {
    this.say.step('Stop everything');
    const agentPid = this.agent?.pid;
    const teardown = await this.stop();
    for (const w of teardown.workloads) {
      const who = w.name.includes(' ') ? `The ${w.name}` : `The ${w.name} application`;
      this.say.say(`${who} stopped (exit code ${w.code ?? 'none: killed'})`);
    }
    this.say.say(`The agent (process ${agentPid}) got SIGTERM, drained its streams, removed its socket and exited with code ${teardown.agentCode}`);
    this.say.say(`The API server, kubelet and Conjur are closed; ${teardown.tempDir} is removed`);
    expectThat(teardown.workloads.every((w) => w.code === 0), 'a sample application did not exit cleanly');
    expectThat(teardown.agentCode === 0, `the agent exited with code ${teardown.agentCode} after SIGTERM`);
    expectThat(teardown.socketRemoved, 'the agent left its socket behind');
    expectThat(teardown.problems.length === 0, teardown.problems.join('; '));
  }
}
