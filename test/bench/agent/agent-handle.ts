import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkBenchChild, stopChild } from '../support/children.js';
import type { BenchChild } from '../support/children.js';
import type { BenchNode } from '../node/bench-node.js';
import { imageEnvironment, imageNodeFlags } from '../../support/image-node-flags.js';
import type { Attested, ProbeRecord } from './probes.js';

// run-all's side of the agent process (agent-process.ts): start it in dev or node mode, read its
// resource usage and probe timings, and wait for the attestations a stream placement expects.

export interface AgentUsage {
  readonly rssBytes: number;
  /** The most RSS the process has had (getrusage maxrss): what a memory limit must allow. */
  readonly peakRssBytes: number;
  readonly heapUsedBytes: number;
  /** User + system CPU since the process started. */
  readonly cpuMs: number;
  readonly streams: number;
  readonly connections: number;
  readonly identities: number;
}

interface Expectation {
  remaining: number;
  resolve(): void;
  reject(error: Error): void;
}

export class AgentHandle {
  private readonly expected = new Map<string, Expectation>();

  private constructor(
    readonly child: BenchChild,
    readonly socketPath: string,
  ) {
    child.ipc.on('attested', (data) => this.onAttested(data as Attested));
  }

  /** `conjur-spiffe-agent dev` plus the floor server on `floorSocketPath`. */
  static async startDev(dir: string, floorSocketPath: string, profileDir?: string): Promise<AgentHandle> {
    const child = await forkAgentProcess(profileDir);
    const socketPath = join(dir, 'dev-agent.sock');
    await child.ipc.call('start-dev', { socketPath, floorSocketPath, logFile: join(dir, 'dev-agent.log') });
    return new AgentHandle(child, socketPath);
  }

  /** The Conjur-backed agent (startAgent) against `node`, ready as its readiness probe says. */
  static async startNode(node: BenchNode, dir: string, profileDir?: string): Promise<AgentHandle> {
    const child = await forkAgentProcess(profileDir);
    const socketPath = join(node.node.dirs.socketDir, 'agent.sock');
    await child.ipc.call('start-node', { overrides: node.agentOverrides(socketPath), logFile: join(dir, 'agent.log') });
    return new AgentHandle(child, socketPath);
  }

  /** `collect`: run a full GC first, so heapUsed is what the agent retains. */
  usage(collect = false): Promise<AgentUsage> {
    return this.child.ipc.call<AgentUsage>('usage', { collect });
  }

  /**
   * Until the agent's V8 has done no full collection for `quietMs` (at most `maxMs`): the
   * memory reducer's collections after a burst belong to the burst, not to rest.
   */
  settle(quietMs: number, maxMs: number): Promise<{ settledMs: number; fullGcs: number; quiet: boolean }> {
    return this.child.ipc.call('settle', { quietMs, maxMs }, maxMs + 10_000);
  }

  drainProbes(): Promise<{ records: ProbeRecord[] }> {
    return this.child.ipc.call('drain-probes');
  }

  /** Resolves once the agent has attested `count` calls from `pid` as pod `podUid`. */
  expectAttested(pid: number, podUid: string, count: number, timeoutMs = 30_000): Promise<void> {
    const key = `${pid}/${podUid}`;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.expected.delete(key);
        reject(new Error(`agent did not attest pid ${pid} as pod ${podUid} ${count} times within ${timeoutMs} ms`));
      }, timeoutMs);
      this.expected.set(key, {
        remaining: count,
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
    });
  }

  async stop(): Promise<void> {
    await this.child.ipc.call('stop', {}, 15_000).catch(() => undefined);
    await stopChild(this.child);
  }

  private onAttested(attested: Attested): void {
    if (attested.error !== undefined) {
      for (const [key, expectation] of this.expected) {
        if (!key.startsWith(`${attested.pid}/`)) continue;
        this.expected.delete(key);
        expectation.reject(new Error(`attestation of pid ${attested.pid} failed: ${attested.error}`));
      }
      return;
    }
    const key = `${attested.pid}/${attested.podUid}`;
    const expectation = this.expected.get(key);
    if (!expectation || --expectation.remaining > 0) return;
    this.expected.delete(key);
    expectation.resolve();
  }
}

/**
 * The agent process as the image builds the agent: `npm run bench` bundles agent-process.ts with
 * scripts/bundle-image.mjs into dist/bench-image/ (same settings as dist/image). Without that
 * bundle (jest's smoke run, or dist/ built by tsc alone) the module itself runs.
 */
function forkAgentProcess(profileDir: string | undefined): Promise<BenchChild> {
  const bundled = fileURLToPath(new URL('../../../bench-image/agent-process.js', import.meta.url));
  const file = !import.meta.url.endsWith('.ts') && existsSync(bundled) ? bundled : undefined;
  return forkBenchChild('agent/agent-process', { execArgv: profileArgs(profileDir), env: imageEnvironment(), ...(file ? { file } : {}) });
}

/**
 * The image's node flags (its heap settings shape RSS and CPU; its environment is passed above),
 * plus --expose-gc, which only lets the bench force a collection when it reads retained memory.
 */
function profileArgs(profileDir: string | undefined): string[] {
  return ['--expose-gc', ...imageNodeFlags(), ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
}
