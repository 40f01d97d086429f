import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
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
  it('reads a regular file', async () => {
    await writeFile(join(dir, 'client.pem'), 'pem');
    expect(await readCertificateFile(join(dir, 'client.pem'))).toBe('pem');
  });

  it('does not follow a symlink the workload may have planted', async () => {
    await writeFile(join(dir, 'secret'), 'agent secret');
    await symlink(join(dir, 'secret'), join(dir, 'client.pem'));
    expect(await readCertificateFile(join(dir, 'client.pem'))).toBeUndefined();
  });

  it('does not hang on a FIFO', async () => {
    execFileSync('mkfifo', [join(dir, 'client.pem')]);
    expect(await readCertificateFile(join(dir, 'client.pem'))).toBeUndefined();
  });

  it('treats a missing file as absent', async () => {
    expect(await readCertificateFile(join(dir, 'client.pem'))).toBeUndefined();
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

  it('rejects with the reason when aborted', async () => {
    const controller = new AbortController();
    const waiting = waitForFile([join(dir, 'client.pem')], acceptGood, options(5_000), controller.signal);
    controller.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
  });
});
