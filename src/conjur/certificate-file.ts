import { constants, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Clock } from '../async/index.js';

// client.pem is ~1.5 KiB; anything much larger is not Conjur's certificate.
const MAX_FILE_BYTES = 64 * 1024;

/**
 * Reads a small regular file, or undefined when it is missing or not a regular file.
 * The file sits in a volume the workload can write: O_NOFOLLOW stops a symlink from pointing
 * the agent at its own files, O_NONBLOCK stops a FIFO from hanging the read.
 */
export async function readCertificateFile(path: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > MAX_FILE_BYTES) return undefined;
    return await handle.readFile('utf8');
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

export interface WaitForFileOptions {
  readonly timeoutMs: number;
  /** Poll period; the fallback where inotify does not fire (some mounts, missing directory). */
  readonly pollMs: number;
  readonly clock: Clock;
}

/** What to do with a file's content: accept it (stop waiting) or keep waiting for a newer one. */
export type FileVerdict<T> = { readonly accept: true; readonly value: T } | { readonly accept: false };

/**
 * Waits until one of `paths` holds content that `evaluate` accepts. Re-reads on every change
 * event of the parent directories and every `pollMs`; resolves undefined at the timeout and
 * rejects with the signal's reason on abort. Watchers and timers are always released.
 */
export function waitForFile<T>(
  paths: readonly string[],
  evaluate: (content: string, path: string) => FileVerdict<T>,
  options: WaitForFileOptions,
  signal: AbortSignal,
): Promise<T | undefined> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T | undefined>((resolve, reject) => {
    const watchers: FSWatcher[] = [];
    let cancelPoll = () => {};
    let cancelTimeout = () => {};
    let done = false;
    let checking = false;
    let again = false;

    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      for (const w of watchers) w.close();
      cancelPoll();
      cancelTimeout();
      signal.removeEventListener('abort', onAbort);
      settle();
    };
    const onAbort = () => finish(() => reject(signal.reason));

    const check = async (): Promise<void> => {
      if (checking) return void (again = true);
      checking = true;
      try {
        do {
          again = false;
          for (const path of paths) {
            const content = await readCertificateFile(path);
            if (done) return;
            if (content === undefined) continue;
            const verdict = evaluate(content, path);
            if (verdict.accept) return finish(() => resolve(verdict.value));
          }
        } while (again && !done);
      } catch (error) {
        finish(() => reject(error));
      } finally {
        checking = false;
      }
    };
    const poll = () => {
      if (done) return;
      void check();
      cancelPoll = options.clock.setTimer(poll, options.pollMs);
    };

    signal.addEventListener('abort', onAbort, { once: true });
    cancelTimeout = options.clock.setTimer(() => finish(() => resolve(undefined)), options.timeoutMs);
    for (const dir of new Set(paths.map((p) => dirname(p)))) {
      const names = new Set(paths.filter((p) => dirname(p) === dir).map((p) => basename(p)));
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || names.has(String(name))) void check();
        });
        watcher.on('error', () => watcher.close());
        watchers.push(watcher);
      } catch {
        // No directory yet or no inotify here: the poll covers it.
      }
    }
    poll();
  });
}
