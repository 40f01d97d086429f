import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { elapsedMs } from '../support/stats.js';

// Runs one short-lived command and reads back what it cost: wall time from spawn to exit (taken
// here), peak RSS and CPU (getrusage, taken inside the child by the preload below).

/**
 * `node --require <file>`: on exit, writes the process's peak RSS (maxRSS, KiB) and CPU time to
 * BENCH_PEAK_FILE. CommonJS and built-ins only, so it adds the same tiny cost to every command
 * and to the `node -e ''` floor alike. Written into the bench's temp dir (tsc copies no .cjs).
 */
const PEAK_RSS_PRELOAD = `'use strict';
const file = process.env.BENCH_PEAK_FILE;
if (file) process.on('exit', () => {
  const u = process.resourceUsage();
  require('node:fs').writeFileSync(file, JSON.stringify({ maxRssKiB: u.maxRSS, cpuUs: u.userCPUTime + u.systemCPUTime }));
});
`;

function preload(dir: string): string {
  const file = join(dir, 'peak-rss.cjs');
  if (!existsSync(file)) writeFileSync(file, PEAK_RSS_PRELOAD);
  return file;
}

export interface CommandCost {
  readonly wallMs: number;
  readonly peakMiB: number;
  readonly cpuMs: number;
  readonly code: number | null;
  readonly stderr: string;
}

export interface CommandLine {
  /** node flags before the script, e.g. a loader. */
  readonly nodeArgs: readonly string[];
  readonly args: readonly string[];
}

let runs = 0;

/** `onSpawn` runs synchronously after spawn (e.g. to place the pid in a pod before it calls). */
export async function measureCommand(dir: string, command: CommandLine, onSpawn?: (pid: number) => void): Promise<CommandCost> {
  const peakFile = join(dir, `peak-${process.pid}-${runs++}.json`);
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--require', preload(dir), ...command.nodeArgs, ...command.args], {
    env: { PATH: process.env.PATH ?? '', BENCH_PEAK_FILE: peakFile },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (child.pid !== undefined) onSpawn?.(child.pid);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const wallMs = elapsedMs(started);
  if (!existsSync(peakFile)) throw new Error(`${command.args.join(' ')} did not report its usage (exit ${code}): ${stderr}`);
  const usage = JSON.parse(readFileSync(peakFile, 'utf8')) as { maxRssKiB: number; cpuUs: number };
  rmSync(peakFile, { force: true });
  return { wallMs, peakMiB: usage.maxRssKiB / 1024, cpuMs: usage.cpuUs / 1000, code, stderr };
}

/** `samples` runs in a row; medians of wall time and CPU, and the largest peak RSS seen. */
export async function measureRepeatedly(dir: string, command: CommandLine, samples: number, onSpawn?: (pid: number) => void): Promise<{ wallMs: number; cpuMs: number; peakMiB: number }> {
  const costs: CommandCost[] = [];
  for (let i = 0; i < samples; i++) {
    const cost = await measureCommand(dir, command, onSpawn);
    if (cost.code !== 0) throw new Error(`${command.args.join(' ')} exited ${cost.code}: ${cost.stderr.trim()}`);
    costs.push(cost);
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
  return { wallMs: median(costs.map((c) => c.wallMs)), cpuMs: median(costs.map((c) => c.cpuMs)), peakMiB: Math.max(...costs.map((c) => c.peakMiB)) };
}
