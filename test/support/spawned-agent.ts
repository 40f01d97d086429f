import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { compiledAgentMain } from './compiled-agent.js';
import { imageEnvironment, imageNodeFlags } from './image-node-flags.js';
import { nestSettings } from './config-file.js';
import { agentEnvironment, nodeAgentOverrides } from './node-agent.js';
import type { SimulatedNode } from './simulated-node.js';

// The real agent as its own process (`main.js run --config FILE`, src/ compiled to plain
// JavaScript as the image runs it, so its RSS is the agent's and not a loader's), configured as a
// DaemonSet pod would be but pointed at a SimulatedNode, so a test can read its RSS from /proc
// and attack it from other processes.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type AgentLogLine = { readonly msg: string } & Readonly<Record<string, unknown>>;

export class SpawnedAgent {
  readonly log: AgentLogLine[] = [];
  readonly exited: Promise<void>;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.log.push(parse(line));
      for (const wake of [...this.waiters]) wake();
    });
    void this.exited.then(() => {
      for (const wake of [...this.waiters]) wake();
    });
  }

  /** Starts the agent on `node` with `settings` merged over the node's paths; resolves once /ready says 200. */
  static async start(node: SimulatedNode, settings: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<SpawnedAgent> {
    const agentPod = node.pods.get('conjur-spiffe/conjur-spiffe-agent-x7k2q') ?? node.addAgentPod();
    const configFile = join(node.dirs.root, `agent-${Date.now()}.yaml`);
    const base = nestSettings(nodeAgentOverrides(node, agentPod));
    writeFileSync(configFile, stringify(merge(base, settings)));
    // AGENT_NODE=/path/to/node runs the agent on another Node than the tests (the image's Node 24).
    const child = spawn(process.env['AGENT_NODE'] ?? process.execPath, [...imageNodeFlags(), compiledAgentMain(), 'run', '--config', configFile], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...imageEnvironment(), ...agentEnvironment(node, agentPod) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const agent = new SpawnedAgent(child);
    const deadline = Date.now() + timeoutMs;
    const health = await agent.listener('Health endpoint listening', timeoutMs);
    while ((await fetch(`${health}/ready`).then((r) => r.status).catch(() => 0)) !== 200) {
      if (Date.now() > deadline || !agent.isRunning) {
        agent.child.kill('SIGKILL');
        throw new Error(`the agent was not ready within ${timeoutMs} ms: ${agent.log.slice(-5).map((l) => JSON.stringify(l)).join('\n')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return agent;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resident set size now, from /proc/<pid>/status (VmRSS), in MiB. */
  rssMiB(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
    return kb / 1024;
  }

  /** The agent's HTTP /live and /ready endpoint, e.g. http://127.0.0.1:41234. */
  healthUrl(): Promise<string> {
    return this.listener('Health endpoint listening', 5_000);
  }

  async metrics(): Promise<string> {
    const url = await this.listener('Metrics endpoint listening', 5_000);
    const response = await fetch(`${url}/metrics`);
    return response.text();
  }

  /** Log lines with this message. */
  lines(msg: string): AgentLogLine[] {
    return this.log.filter((l) => l.msg === msg);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.isRunning) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private async listener(msg: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.log.find((l) => l.msg === msg);
      if (line) return `http://${String(line['address'])}`;
      if (!this.isRunning || Date.now() > deadline) throw new Error(`the agent never logged "${msg}": ${this.log.slice(-5).map((l) => JSON.stringify(l)).join('\n')}`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, 200);
        this.waiters.add(done);
      });
    }
  }
}

/** `over` laid over `base`, mapping by mapping (`{ conjur: { bundleFile } }` keeps conjur's other settings). */
function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const under = out[key];
    out[key] = isMapping(under) && isMapping(value) ? merge(under, value) : value;
  }
  return out;
}

function parse(line: string): AgentLogLine {
  try {
    const parsed = JSON.parse(line) as unknown;
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { msg?: unknown }).msg === 'string') return parsed as AgentLogLine;
  } catch {
    // a CLI error line such as "error: ..."
  }
  return { msg: line };
}
