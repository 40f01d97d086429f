import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

// Control-plane processes (etcd, kube-apiserver) that can never outlive the test that started
// them: each runs under a small shell watchdog that kills it within a second of this Node process
// going away (a crashed or killed jest worker included), and every one still running is killed
// when this process exits normally.

const running = new Set<GuardedProcess>();
let exitHookInstalled = false;

// The watchdog: start the program, then poll that our parent (the Node process) and the program
// are both alive; when the parent is gone, kill the program. `exec` is not used so the shell stays.
const WATCHDOG = [
  'parent=$PPID',
  '"$@" &',
  'child=$!',
  'trap \'kill -TERM $child 2>/dev/null; wait $child; exit 0\' TERM INT',
  'while kill -0 $parent 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 1 & wait $!; done',
  'kill -KILL $child 2>/dev/null',
  'wait $child',
].join('\n');

export class GuardedProcess {
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  /** Starts `command` with its stdout and stderr appended to `logFile`. */
  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    logFile: string,
  ) {
    installExitHook();
    const log = openSync(logFile, 'a');
    try {
      this.child = spawn('sh', ['-c', WATCHDOG, 'watchdog', command, ...args], { stdio: ['ignore', log, log], detached: true });
    } finally {
      closeSync(log);
    }
    running.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        running.delete(this);
        resolve(code);
      });
    });
  }

  get isRunning(): boolean {
    return running.has(this);
  }

  /** SIGTERM to the program (through its watchdog), SIGKILL to the whole group after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.isRunning) return;
    this.signalGroup('SIGTERM');
    const timer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    this.signalGroup('SIGKILL'); // anything the program itself left in its group
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }

  /** Synchronous, for the exit hook. */
  killNow(): void {
    this.signalGroup('SIGKILL');
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of running) p.killNow();
  });
}
