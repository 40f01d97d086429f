import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../src/cli/index.js';

describe('writeFileAtomic', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atomic-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the content with exactly the requested mode, whatever the umask', async () => {
    const previous = process.umask(0o077);
    try {
      await writeFileAtomic(join(dir, 'token'), 'abc', 0o644);
    } finally {
      process.umask(previous);
    }
    expect(await readFile(join(dir, 'token'), 'utf8')).toBe('abc');
    expect((await stat(join(dir, 'token'))).mode & 0o777).toBe(0o644);
  });

  it('replaces an existing file by rename, so a reader holding the old one keeps it whole', async () => {
    const path = join(dir, 'svid_key.pem');
    await writeFile(path, 'old key');
    const before = await stat(path);
    await writeFileAtomic(path, 'new key', 0o600);
    const after = await stat(path);
    expect(await readFile(path, 'utf8')).toBe('new key');
    expect(after.ino).not.toBe(before.ino);
    expect(after.mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['svid_key.pem']);
  });

  it('creates a missing output directory, readable by its owner only', async () => {
    const path = join(dir, 'missing', 'token');
    await writeFileAtomic(path, 'abc', 0o644);
    expect(await readFile(path, 'utf8')).toBe('abc');
    expect((await stat(join(dir, 'missing'))).mode & 0o777).toBe(0o700);
  });

  it('says which file it could not write and leaves no temporary file behind', async () => {
    await writeFile(join(dir, 'blocker'), '');
    await expect(writeFileAtomic(join(dir, 'blocker', 'x'), 'abc', 0o644)).rejects.toThrow(/cannot write .*blocker\/x: (ENOTDIR|EEXIST)/);
    expect(await readdir(dir)).toEqual(['blocker']);
  });
});
