import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../src/async/index.js';
import { readCertificateFile, waitForFile } from '../../../src/conjur/certificate-file.js';
import type { FileVerdict } from '../../../src/conjur/certificate-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conjur-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const acceptGood = (content: string): FileVerdict<string> => (content.startsWith('good') ? { accept: true, value: content } : { accept: false });
const options = (timeoutMs: number, pollMs = 1_000) => ({ timeoutMs, pollMs, clock: systemClock });

describe('readCertificateFile', () => {
  const read = (maxBytes?: number) => readCertificateFile(join(dir, 'client.pem'), maxBytes);

  it('reads a regular file', async () => {
    await writeFile(join(dir, 'client.pem'), 'pem');
    expect(await read()).toEqual({ kind: 'file', text: 'pem' });
  });

  it('reads a file of exactly the limit', async () => {
    await writeFile(join(dir, 'client.pem'), 'x'.repeat(100));
    expect(await read(100)).toEqual({ kind: 'file', text: 'x'.repeat(100) });
  });

  it('refuses a file over the limit without reading it', async () => {
    await writeFile(join(dir, 'client.pem'), 'x'.repeat(101));
    expect(await read(100)).toEqual({ kind: 'refused', reason: 'too-large', detail: 'is 101 bytes, over the limit of 100' });
  });

  it('refuses an 8 GiB sparse file from its size alone', async () => {
    await writeFile(join(dir, 'client.pem'), '');
    await truncate(join(dir, 'client.pem'), 8 * 1024 ** 3);
    expect(await read()).toMatchObject({ kind: 'refused', reason: 'too-large' });
  });

  it('stops at the limit + 1 when the file holds more than its size said (it grew while being read)', async () => {
    // procfs files report size 0 whatever they hold: the same shape as a file grown after its stat.
    const result = await readCertificateFile('/proc/self/mountinfo', 16);
    expect(result).toEqual({ kind: 'refused', reason: 'too-large', detail: 'grew past the limit of 16 bytes while it was read' });
  });

  it('does not follow a symlink the workload may have planted', async () => {
    await writeFile(join(dir, 'secret'), 'agent secret');
    await symlink(join(dir, 'secret'), join(dir, 'client.pem'));
    expect(await read()).toEqual({ kind: 'refused', reason: 'not-a-regular-file', detail: 'is a symlink' });
  });

  it('does not hang on a FIFO', async () => {
    execFileSync('mkfifo', [join(dir, 'client.pem')]);
    expect(await read()).toEqual({ kind: 'refused', reason: 'not-a-regular-file', detail: 'is a fifo' });
  });

  it('refuses a directory', async () => {
    await mkdir(join(dir, 'client.pem'));
    expect(await read()).toEqual({ kind: 'refused', reason: 'not-a-regular-file', detail: 'is a directory' });
  });

  it('refuses a device node', async () => {
    try {
      execFileSync('mknod', [join(dir, 'client.pem'), 'c', '1', '3'], { stdio: 'ignore' });
    } catch {
      return; // creating device nodes needs CAP_MKNOD; the integration test covers it where it can
    }
    expect(await read()).toEqual({ kind: 'refused', reason: 'not-a-regular-file', detail: 'is a character device' });
  });

  it('treats a missing file, or a missing directory, as absent', async () => {
    expect(await read()).toEqual({ kind: 'absent' });
    expect(await readCertificateFile(join(dir, 'nowhere', 'client.pem'))).toEqual({ kind: 'absent' });
  });
});

describe('waitForFile', () => {
  it('sees a file moved into place through the directory watch, well before the poll', async () => {
    const started = Date.now();
    const waiting = waitForFile([join(dir, 'client.pem')], acceptGood, options(5_000, 60_000), new AbortController().signal);
    setTimeout(() => void writeFile(join(dir, 'client.pem.tmp'), 'good cert').then(() => rename(join(dir, 'client.pem.tmp'), join(dir, 'client.pem'))), 50);
    expect(await waiting).toBe('good cert');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('finds it by polling when the directory appears only later', async () => {
    const sub = join(dir, 'later');
    const waiting = waitForFile([join(sub, 'client.pem')], acceptGood, options(5_000, 50), new AbortController().signal);
    setTimeout(() => void mkdir(sub).then(() => writeFile(join(sub, 'client.pem'), 'good')), 50);
    expect(await waiting).toBe('good');
  });

  it('keeps waiting past a rejected file until an accepted one replaces it', async () => {
    await writeFile(join(dir, 'client.pem'), 'stale');
    const seen: string[] = [];
    const evaluate = (content: string) => (seen.push(content), acceptGood(content));
    const waiting = waitForFile([join(dir, 'client.pem')], evaluate, options(5_000, 50), new AbortController().signal);
    setTimeout(() => void writeFile(join(dir, 'client.pem'), 'good new'), 100);
    expect(await waiting).toBe('good new');
    expect(seen[0]).toBe('stale');
  });

  it('watches every candidate path', async () => {
    const paths = [join(dir, 'a.pem'), join(dir, 'b.pem')];
    const waiting = waitForFile(paths, acceptGood, options(5_000), new AbortController().signal);
    setTimeout(() => void writeFile(paths[1]!, 'good b'), 50);
    expect(await waiting).toBe('good b');
  });

  it('resolves undefined at the timeout', async () => {
    expect(await waitForFile([join(dir, 'client.pem')], acceptGood, options(150, 50), new AbortController().signal)).toBeUndefined();
  });

  it('tells about refused files and goes on waiting for a good one', async () => {
    await mkdir(join(dir, 'client.pem'));
    const refusals: string[] = [];
    const onRefused = (path: string, refusal: { reason: string }) => void refusals.push(`${path}: ${refusal.reason}`);
    const waiting = waitForFile([join(dir, 'client.pem')], acceptGood, { ...options(5_000, 50), onRefused }, new AbortController().signal);
    setTimeout(() => void rm(join(dir, 'client.pem'), { recursive: true }).then(() => writeFile(join(dir, 'client.pem'), 'good')), 150);
    expect(await waiting).toBe('good');
    expect(refusals[0]).toBe(`${join(dir, 'client.pem')}: not-a-regular-file`);
  });

  it('checks at most once per minCheckIntervalMs after a small burst, however fast the workload changes the file', async () => {
    let checks = 0;
    const evaluate = () => (checks++, { accept: false as const });
    const startedAt = Date.now();
    const waiting = waitForFile([join(dir, 'client.pem')], evaluate, { ...options(400, 60_000), minCheckIntervalMs: 50 }, new AbortController().signal);
    for (let i = 0; Date.now() - startedAt < 300; i++) await writeFile(join(dir, 'client.pem'), `junk ${i}`);
    expect(await waiting).toBeUndefined();
    const elapsedMs = Date.now() - startedAt;
    expect(checks).toBeGreaterThan(0);
    expect(checks).toBeLessThanOrEqual(5 + Math.floor(elapsedMs / 50) + 1); // a burst of 5, then one per 50 ms
  });

  it('rejects with the reason when aborted', async () => {
    const controller = new AbortController();
    const waiting = waitForFile([join(dir, 'client.pem')], acceptGood, options(5_000), controller.signal);
    controller.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
  });
});
