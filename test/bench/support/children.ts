import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Ipc } from './ipc.js';

// The bench's child processes are modules of this folder. Under `npm run bench` they run as the
// compiled JS in dist/; under jest (bench-smoke.test.ts) this file is TypeScript and so are they,
// so they start with register-ts.mjs. Every child is killed when the bench ends or fails.

const SOURCE_MODE = import.meta.url.endsWith('.ts');
const live = new Set<ChildProcess>();

export interface BenchChild {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly ipc: Ipc;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** The last few KB the child wrote to stderr, for error messages. */
  stderrTail(): string;
}

export interface ForkOptions {
  readonly args?: readonly string[];
  /** Extra node flags, e.g. --expose-gc or --cpu-prof. */
  readonly execArgv?: readonly string[];
  readonly readyTimeoutMs?: number;
  /** Run this file instead of the module's own (e.g. a bundle of it). */
  readonly file?: string;
  /** Added to the environment, e.g. the image's (test/support/image-node-flags.ts). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Forks `test/bench/<module>` and waits for its `ready` event. */
export async function forkBenchChild(module: string, options: ForkOptions = {}): Promise<BenchChild> {
  const file = options.file ?? fileURLToPath(new URL(`../${module}${SOURCE_MODE ? '.ts' : '.js'}`, import.meta.url));
  const loader = SOURCE_MODE && !options.file ? ['--import', fileURLToPath(new URL('../../support/register-ts.mjs', import.meta.url))] : [];
  const child = fork(file, [...(options.args ?? [])], {
    execArgv: [...loader, ...(options.execArgv ?? [])],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // jest's --experimental-vm-modules is not wanted in the children.
    env: { ...process.env, NODE_OPTIONS: '', ...options.env },
  });
  if (child.pid === undefined) throw new Error(`could not start ${module}`);
  live.add(child);
  let tail = '';
  const keep = (chunk: Buffer) => void (tail = (tail + chunk.toString('utf8')).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const ipc = new Ipc(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      live.delete(child);
      ipc.failPending(`${module} exited (${code ?? 'signal'}): ${tail.trim().split('\n').slice(-5).join(' | ')}`);
      resolve(code);
    }),
  );
  const handle: BenchChild = { process: child, pid: child.pid, ipc, exited, stderrTail: () => tail };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${module} did not start in time: ${tail}`)), options.readyTimeoutMs ?? 60_000);
    const off = ipc.on('ready', () => (clearTimeout(timer), off(), resolve()));
    void exited.then((code) => (clearTimeout(timer), reject(new Error(`${module} exited (${code}) before it was ready: ${tail}`))));
  });
  return handle;
}

/** Asks a child to exit (SIGTERM), then kills it if it has not within `graceMs`. */
export async function stopChild(child: BenchChild, graceMs = 5_000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export function killAllChildren(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** The child side: an Ipc on this process that exits when the parent goes away. */
export function parentIpc(): Ipc {
  const ipc = new Ipc(process);
  process.once('disconnect', () => process.exit(0));
  return ipc;
}
