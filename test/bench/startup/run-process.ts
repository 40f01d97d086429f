import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { CommandLine } from './cli-runs.js';

// `conjur-spiffe-agent run` as the DaemonSet starts it: its own process, a configuration file,
// JSON logs on stderr. Start-up moments are read from its log lines as they arrive; memory and
// CPU from /proc, so nothing inside the agent is changed to be measured.

export interface RunningAgentProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** performance.now() when the process was spawned. */
  readonly spawnedAt: number;
  /** Resolves with performance.now() when the agent logs `message`. */
  whenLogged(message: string, timeoutMs?: number): Promise<number>;
  /** RSS now (MB of 2^20 bytes, as the scale bench reports) and CPU since start (ms). */
  usage(): { rssMb: number; cpuMs: number };
  stop(): Promise<void>;
}

export function startRunProcess(entry: CommandLine, configFile: string, execArgv: readonly string[] = [], env: Record<string, string> = {}): RunningAgentProcess {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...execArgv, ...entry.nodeArgs, ...entry.args, 'run', '--config', configFile], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not start the agent');
  const pid = child.pid;
  const seen = new Map<string, number>();
  const waiters = new Map<string, (at: number) => void>();
  let tail = '';
  let partial = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    const at = performance.now();
    tail = (tail + chunk.toString()).slice(-3000);
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const message = /"msg":"([^"]*)"/.exec(line)?.[1];
      if (message === undefined || seen.has(message)) continue;
      seen.set(message, at);
      waiters.get(message)?.(at);
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    pid,
    spawnedAt,
    whenLogged(message, timeoutMs = 60_000) {
      const at = seen.get(message);
      if (at !== undefined) return Promise.resolve(at);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`agent did not log "${message}" within ${timeoutMs} ms: ${tail}`)), timeoutMs);
        void exited.then(() => reject(new Error(`agent exited before logging "${message}": ${tail}`)));
        waiters.set(message, (when) => (clearTimeout(timer), resolve(when)));
      });
    },
    usage: () => procUsage(pid),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Linux /proc: VmRSS and utime + stime (clock ticks of 10 ms, USER_HZ on Linux x86-64 and arm64). */
function procUsage(pid: number): { rssMb: number; cpuMs: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssMb: rssKb / 1024, cpuMs: ticks * 10 };
}
