import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SimulatedNode, SimulatedPod } from '../support/simulated-node.js';
import { EventLog } from './event-log.js';
import type { WorkloadEvent, WorkloadReport } from './workloads/reporting.js';

// A sample workload (test/demo/workloads/*.js) as a real process inside a simulated pod, or on
// the host: SimulatedNode.spawnInPod gives it the pod's cgroup before its first instruction, so
// its very first call to the agent is attributed to the pod. Reports arrive as JSON lines.

export type WorkloadProgram = 'payments' | 'orders' | 'host-process';

const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export class WorkloadProcess {
  readonly reports = new EventLog<WorkloadReport>();
  readonly exited: Promise<number | null>;
  private stderr = '';

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    // Never outlive the demo, even when it ends abruptly.
    const kill = () => child.kill('SIGKILL');
    process.once('exit', kill);
    void this.exited.then(() => process.off('exit', kill));
    createInterface({ input: child.stdout! }).on('line', (line) => this.reports.push(parseReport(line)));
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000)));
    void this.exited.then((code) => this.reports.end(`${name} exited (code ${code ?? child.signalCode})`));
  }

  /** Starts `program` in `pod` (undefined: on the host) with `env` on top of SPIFFE_ENDPOINT_SOCKET. */
  static start(node: SimulatedNode, name: string, program: WorkloadProgram, pod: SimulatedPod | undefined, env: Record<string, string>): WorkloadProcess {
    const file = fileURLToPath(new URL(`./workloads/${program}.js`, import.meta.url));
    const child = node.spawnInPod(pod, process.execPath, [file], { cwd: PACKAGE_ROOT, env: { NODE_OPTIONS: undefined, ...env } });
    return new WorkloadProcess(name, child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The first report of kind `event`; throws with the workload's own words if it failed instead. */
  async next<E extends WorkloadEvent>(event: E, signal: AbortSignal): Promise<Extract<WorkloadReport, { event: E }>> {
    const found = await this.reports.waitFor((r) => r.event === event || r.event === 'failed', `the "${event}" report of ${this.name}`, signal);
    if (found.event === 'failed') throw new Error(`${this.name} could not ${found.step}: ${found.message}`);
    return found as Extract<WorkloadReport, { event: E }>;
  }

  /** Closes its stdin (the sample's way to ask it to stop), SIGKILL after `graceMs`. */
  async stop(graceMs: number): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  stderrTail(): string {
    return this.stderr.trim();
  }
}

function parseReport(line: string): WorkloadReport {
  try {
    return JSON.parse(line) as WorkloadReport;
  } catch {
    return { event: 'failed', step: 'report', message: `unexpected output: ${line}` };
  }
}
