import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SimulatedNode, SimulatedPod } from './simulated-node.js';

// Runs test/support/children/hostile-workload.cjs as a real process in a simulated pod (on the
// host when `pod` is undefined) and collects the JSON lines it reports.

const SCRIPT = findScript();

/** Beside this file under jest; from dist/test/support/ (the bench), the checkout's copy. */
function findScript(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 5; level++, dir = dirname(dir)) {
    for (const candidate of [join(dir, 'children', 'hostile-workload.cjs'), join(dir, 'test', 'support', 'children', 'hostile-workload.cjs')]) {
      if (existsSync(candidate)) return candidate;
    }
  }
  throw new Error('test/support/children/hostile-workload.cjs not found');
}

export interface HostileReport {
  readonly pid: number;
  readonly mode: string;
  /** streams: how many streams got each first answer ('message', '8: call limit reached ...', 'reset 7'). */
  readonly answers?: Record<string, number>;
  readonly connected?: number;
  readonly closed?: number | boolean;
  readonly afterMs?: number;
  readonly sent?: number;
  readonly goaway?: number | null;
  /** reset-loop with a duration: connections made, and how many of them the agent opened an HTTP/2 session on. */
  readonly rounds?: number;
  readonly sessions?: number;
  readonly error?: string;
}

export interface HostileWorkload {
  readonly child: ChildProcess;
  readonly reports: HostileReport[];
  /** The next report with `key` (waits for it). */
  next(key: keyof HostileReport, timeoutMs?: number): Promise<HostileReport>;
  /** Closes stdin (the process exits, and its connections with it) and waits. */
  stop(): Promise<void>;
  /** SIGKILL, as a crashing or OOM-killed attacker. */
  kill(): Promise<void>;
}

export function startHostile(node: SimulatedNode, pod: SimulatedPod | undefined, args: readonly (string | number)[]): HostileWorkload {
  const child = node.spawnInPod(pod, process.execPath, [SCRIPT, ...args.map(String)]);
  const reports: HostileReport[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    reports.push(JSON.parse(line) as HostileReport);
    for (const wake of [...waiters]) wake();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => {
    for (const wake of [...waiters]) wake();
  });
  return {
    child,
    reports,
    async next(key, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = reports.find((r) => r[key] !== undefined);
        if (found) return found;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`hostile workload exited without reporting ${String(key)}`);
        if (Date.now() > deadline) throw new Error(`hostile workload did not report ${String(key)} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          };
          const timer = setTimeout(done, 250);
          waiters.add(done);
        });
      }
    },
    async stop() {
      child.stdin!.end();
      await exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
