import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { nestSettings } from '../support/config-file.js';
import { agentEnvironment as nodeAgentEnvironment, nodeAgentOverrides } from '../support/node-agent.js';
import type { DemoCluster } from './demo-cluster.js';
import { EventLog } from './event-log.js';

// The real agent, built from src/, as its own process: `node dist/src/main.js run --config FILE`
// with the environment its DaemonSet would give it, pointed at the simulated node. Its JSON log
// (standard error) is read line by line: the demo narrates from it and finds its ports in it.

/** One line of the agent's log: pino JSON (level, msg, fields), or plain text (`error: ...`). */
export type AgentLogLine = { readonly msg: string; readonly level: string } & Readonly<Record<string, unknown>>;

export const AGENT_MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

/** What a DaemonSet's env section and downward API would set (daemonset/daemon-set.yaml). */
export function agentEnvironment(cluster: DemoCluster): Record<string, string> {
  return nodeAgentEnvironment(cluster.node, cluster.agentPod);
}

/** The agent's YAML settings: the node's paths instead of the DaemonSet's mounts, ports picked by the OS. */
export function agentSettings(cluster: DemoCluster): Record<string, unknown> {
  return nestSettings({
    ...nodeAgentOverrides(cluster.node, cluster.agentPod),
    shutdownGrace: '2s',
    'kubelet.newContainerWait': '5s',
    // debug: the demo narrates each attestation from the agent's "Attested workload" lines.
    'log.level': 'debug',
  });
}

export class AgentProcess {
  readonly log = new EventLog<AgentLogLine>();
  readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly configFile: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    // Never outlive the demo, even when it ends abruptly.
    const kill = () => child.kill('SIGKILL');
    process.once('exit', kill);
    void this.exited.then(() => process.off('exit', kill));
    createInterface({ input: child.stderr! }).on('line', (line) => this.log.push(parseLine(line)));
    createInterface({ input: child.stdout! }).on('line', (line) => this.log.push({ level: 'stdout', msg: line }));
    void this.exited.then((code) => this.log.end(`the agent exited (code ${code ?? child.signalCode})`));
  }

  static start(cluster: DemoCluster): AgentProcess {
    const configFile = join(cluster.node.dirs.root, 'agent.yaml');
    writeFileSync(configFile, `# The demo agent's settings (see the README's configuration reference).\n${stringify(agentSettings(cluster))}`);
    const child = spawn(process.execPath, [AGENT_MAIN, 'run', '--config', configFile], {
      env: { ...inheritedEnvironment(), ...agentEnvironment(cluster) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) throw new Error(`could not start ${AGENT_MAIN}`);
    return new AgentProcess(child, configFile);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** `http://host:port` of a listener the agent logged ("Health endpoint listening"). */
  async listenerUrl(message: string, signal: AbortSignal): Promise<string> {
    const line = await this.log.waitFor((l) => l.msg === message, `the agent's "${message}" log line`, signal);
    return `http://${String(line['address'])}`;
  }

  /** Polls /ready until it answers 200; returns what it said. */
  async waitReady(signal: AbortSignal): Promise<{ url: string; components: string[] }> {
    const url = `${await this.listenerUrl('Health endpoint listening', signal)}/ready`;
    for (;;) {
      if (!this.isRunning) throw new Error('the agent exited before it was ready');
      const response = await fetch(url, { signal }).catch(() => undefined);
      if (response?.status === 200) {
        const body = (await response.json()) as { components?: Record<string, unknown> };
        return { url, components: Object.keys(body.components ?? {}) };
      }
      await response?.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async metricsText(signal: AbortSignal): Promise<string> {
    const response = await fetch(`${await this.listenerUrl('Metrics endpoint listening', signal)}/metrics`, { signal });
    if (response.status !== 200) throw new Error(`the agent's /metrics answered ${response.status}`);
    return response.text();
  }

  /** SIGTERM, as the kubelet sends it; SIGKILL after `graceMs`. Resolves with the exit code. */
  async stop(graceMs: number): Promise<number | null> {
    if (this.isRunning) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** The last lines of the log, for a failure report. */
  tail(count: number): string[] {
    return this.log.all.slice(-count).map((l) => (l.level === 'text' || l.level === 'stdout' ? l.msg : JSON.stringify(l)));
  }
}

function parseLine(line: string): AgentLogLine {
  try {
    const parsed = JSON.parse(line) as unknown;
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { msg?: unknown }).msg === 'string') return parsed as AgentLogLine;
  } catch {
    // not JSON: a CLI error line such as "error: ..."
  }
  return { level: 'text', msg: line };
}

/** This process's environment without anything that would configure the agent or a workload. */
export function inheritedEnvironment(): Record<string, string> {
  const kept = Object.entries(process.env).filter(
    ([name]) => !/^(CONJUR_|MY_|KUBERNETES_SERVICE_|SPIFFE_ENDPOINT_SOCKET$|NODE_OPTIONS$)/.test(name),
  );
  return Object.fromEntries(kept.filter((entry): entry is [string, string] => entry[1] !== undefined));
}
