import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../../fixtures/cgroup/', import.meta.url));

/** A recorded /proc file from test/fixtures/cgroup/. */
export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

/**
 * A directory standing in for /proc: tests write `<root>/<pid>/cgroup` (and mountinfo, status)
 * for real child processes, so the attestor reads a fake layout for a real pid.
 */
export class TempProcRoot {
  private constructor(readonly root: string) {}

  static async create(): Promise<TempProcRoot> {
    return new TempProcRoot(await mkdtemp(join(tmpdir(), 'proc-root-')));
  }

  async write(pid: number, name: string, text: string): Promise<void> {
    await mkdir(join(this.root, String(pid)), { recursive: true });
    await writeFile(join(this.root, String(pid), name), text);
  }

  /** A status file as the kernel writes it (the parts the attestor reads). */
  async writeStatus(pid: number, uid: number, gid: number): Promise<void> {
    await this.write(pid, 'status', `Name:\tsleep\nPid:\t${pid}\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nGid:\t${gid}\t${gid}\t${gid}\t${gid}\n`);
  }

  async remove(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/** A real process to attest: its pid is real, its cgroup file is whatever the test writes. */
export async function spawnWorkload(): Promise<ChildProcess & { pid: number }> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  if (child.pid === undefined) throw new Error('child process has no pid');
  return child as ChildProcess & { pid: number };
}

export async function stopWorkload(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
