import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { SimulatedNode, SimulatedPod } from '../support/simulated-node.js';

// A real client process inside a simulated pod (SimulatedNode.spawnInPod), with its output
// collected so a failure can show it: waits for a line or for the exit, each with a deadline,
// and stop() that always ends the process (teardown calls it whatever happened).

export interface ClientExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ClientProcessOptions {
  /** Names the client and the step in every error: `go-spiffe serve`. */
  readonly label: string;
  readonly env?: Record<string, string>;
  readonly cwd?: string;
}

export class ClientProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<ClientExit>;
  private exit: ClientExit | undefined;
  private readonly child: ChildProcess;
  private readonly wakers = new Set<() => void>();

  /** Wraps a started process whose stdout and stderr are pipes. */
  constructor(
    child: ChildProcess,
    readonly options: ClientProcessOptions,
  ) {
    this.child = child;
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.append('stdout', chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.append('stderr', chunk));
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        this.wake();
        resolve(this.exit);
      });
    });
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** The process's output, for error messages. */
  describe(): string {
    const status = this.exit ? `exited with ${this.exit.code ?? this.exit.signal}` : 'still running';
    return `${this.options.label} ${status}\n--- stdout ---\n${this.stdout.trimEnd()}\n--- stderr ---\n${this.stderr.trimEnd()}`;
  }

  /** The first stdout line matching `pattern`; fails if the process exits first or the deadline passes. */
  async line(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return this.until(`a stdout line matching ${String(pattern)}`, timeoutMs, () => {
      for (const line of this.stdout.split('\n')) {
        const match = pattern.exec(line);
        if (match) return match;
      }
      return undefined;
    });
  }

  /** Waits for the exit; fails (with the output) if it takes longer than `timeoutMs`. */
  async exitWithin(timeoutMs: number): Promise<ClientExit> {
    return this.until('the process to exit', timeoutMs, () => this.exit, true);
  }

  /** Waits for exit code 0 and returns stdout; otherwise fails naming the client and the step. */
  async succeeds(timeoutMs: number): Promise<string> {
    const exit = await this.exitWithin(timeoutMs);
    if (exit.code !== 0) throw new Error(`${this.options.label}: expected exit code 0\n${this.describe()}`);
    return this.stdout;
  }

  /** Waits for a non-zero exit (a refusal); returns stderr. */
  async fails(timeoutMs: number): Promise<string> {
    const exit = await this.exitWithin(timeoutMs);
    if (exit.code === 0) throw new Error(`${this.options.label}: expected a failure, but it exited with 0\n${this.describe()}`);
    return this.stderr;
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `graceMs`. Safe to call at any time. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 2000): Promise<ClientExit> {
    if (this.exit) return this.exit;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs `body`, adding this process's output to any error it throws (assertion failures too). */
  async explain<T>(body: () => T | Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`${this.options.label}: ${message}\n${this.describe()}`, { cause: error });
    }
  }

  private append(stream: 'stdout' | 'stderr', chunk: string): void {
    this[stream] += chunk;
    this.wake();
  }

  private wake(): void {
    for (const wake of [...this.wakers]) wake();
  }

  private until<T>(what: string, timeoutMs: number, probe: () => T | undefined, exitIsFine = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const value = probe();
        if (value !== undefined) return finish(() => resolve(value));
        if (this.exit && !exitIsFine) finish(() => reject(new Error(`${this.options.label}: exited before ${what}\n${this.describe()}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`${this.options.label}: no ${what} within ${timeoutMs} ms\n${this.describe()}`))), timeoutMs);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.wakers.delete(check);
        settle();
      };
      this.wakers.add(check);
      check();
    });
  }
}

/** Starts `command` in `pod` (on the host when undefined), with SPIFFE_ENDPOINT_SOCKET set to the node's agent. */
export function startInPod(
  node: SimulatedNode,
  pod: SimulatedPod | undefined,
  command: string,
  args: readonly string[],
  options: ClientProcessOptions,
): ClientProcess {
  const child = node.spawnInPod(pod, command, args, { ...(options.cwd ? { cwd: options.cwd } : {}), env: { ...options.env } });
  return new ClientProcess(child, options);
}

/** Starts `command` as an ordinary process (no pod), e.g. against the development agent. */
export function startProcess(command: string, args: readonly string[], options: ClientProcessOptions): ClientProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env }, ...(options.cwd ? { cwd: options.cwd } : {}) });
  return new ClientProcess(child, options);
}
