import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `path` so that readers see the old file or the new one, never a partial write:
 * a temporary file in the same directory (same filesystem, so rename is atomic), written,
 * given its mode (explicitly: the umask must not widen or narrow it), fsync'ed, renamed over
 * the target, then the directory fsync'ed so the rename survives a crash. This is how
 * spiffe-helper and Conjur's authenticator sidecar keep files fresh for readers.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, mode: number): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // A missing output directory is created, readable by its owner only.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = await open(temp, 'wx', mode);
    try {
      await file.writeFile(data);
      await file.chmod(mode);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw new Error(`cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  // Best effort: some filesystems refuse fsync on a directory, and the data is already safe.
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* ignored on purpose */
  }
}
