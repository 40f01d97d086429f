import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';

// The control plane's processes never outlive the test process that started them, however it
// ends: here a child Node process starts one (a long sleep standing in for kube-apiserver) and is
// then killed with SIGKILL, which runs none of its exit handlers.

const LOADER = fileURLToPath(new URL('../../support/register-ts.mjs', import.meta.url));
const GUARDED = fileURLToPath(new URL('../../support/real-kube/guarded-process.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'guarded-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there is none
  }
}

async function poll(condition: () => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('GuardedProcess', () => {
  it('kills its program within seconds of the process that started it dying by SIGKILL', async () => {
    const script = [
      `import { GuardedProcess } from ${JSON.stringify(GUARDED)};`,
      `new GuardedProcess('sleep', 'sleep', ['600'], ${JSON.stringify(join(dir, 'sleep.log'))});`,
      'setInterval(() => undefined, 1000);',
    ].join('\n');
    const parent = spawn(process.execPath, ['--import', LOADER, '--input-type=module', '-e', script], { stdio: 'ignore' });
    let sleepPid = 0;
    try {
      // parent -> watchdog shell -> sleep
      await poll(() => (sleepPid = childrenOf(childrenOf(parent.pid!)[0] ?? -1)[0] ?? 0) > 0, 20_000);
      expect(isAlive(sleepPid)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
    await poll(() => !isAlive(sleepPid), 10_000);
  }, 40_000);
});
