import { constants, watch } from 'node:fs';
import type { FSWatcher, Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { TokenBucket } from '../async/index.js';
import type { Clock } from '../async/index.js';

// client.pem is ~1.5 KiB; anything much larger is not Conjur's certificate.
export const DEFAULT_MAX_CERTIFICATE_FILE_BYTES = 64 * 1024;

const DEFAULT_MIN_CHECK_INTERVAL_MS = 20;
const CHECK_BURST = 5;

// Linux's O_PATH, which Node does not export: an fd that names the inode without opening it, so
// neither a device driver's open() nor a FIFO's reader side ever happens. With O_NOFOLLOW it
// names a symlink itself instead of its target.
const O_PATH = 0o10000000;

/** Why a file in a workload's volume was not read. */
export type RefusalReason = 'not-a-regular-file' | 'too-large' | 'unreadable';

/** What reading a workload-writable file gave: its text, nothing there, or a refusal (content never kept). */
export type CertificateFileRead =
  | { readonly kind: 'file'; readonly text: string }
  | { readonly kind: 'absent' }
  | { readonly kind: 'refused'; readonly reason: RefusalReason; readonly detail: string };

/**
 * Reads a small regular file from a directory the workload can write, at most `maxBytes`.
 *
 * The workload may swap the file for a symlink, FIFO, device node or directory, or grow it
 * while we read, at any moment. So: the path is opened with O_PATH | O_NOFOLLOW (nothing is
 * opened yet) and its type is taken from that fd; only a regular file is then opened for reading,
 * through /proc/self/fd, which reopens exactly the inode just checked (a name lookup could land
 * on a replacement). The read fills one fixed buffer of `maxBytes + 1`: one byte too many is
 * a refusal, however large the file has grown since its size was seen. A caller that reads
 * again and again (the confirm wait) passes its own `buffer`, so repeated reads reuse it.
 */
export async function readCertificateFile(
  path: string,
  maxBytes: number = DEFAULT_MAX_CERTIFICATE_FILE_BYTES,
  buffer: Buffer = Buffer.alloc(maxBytes + 1),
): Promise<CertificateFileRead> {
  if (buffer.length < maxBytes + 1) throw new RangeError(`a buffer of ${buffer.length} bytes cannot hold ${maxBytes} + 1`);
  let pathHandle: FileHandle;
  try {
    pathHandle = await open(path, O_PATH | constants.O_NOFOLLOW);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'absent' };
    return refused('unreadable', `cannot open: ${code ?? 'error'}`);
  }
  try {
    const named = await pathHandle.stat();
    if (!named.isFile()) return refused('not-a-regular-file', `is a ${typeName(named)}`);
    if (named.size > maxBytes) return refused('too-large', `is ${named.size} bytes, over the limit of ${maxBytes}`);
    return await readReopened(pathHandle.fd, named, buffer.subarray(0, maxBytes + 1));
  } catch (error) {
    return refused('unreadable', `cannot read: ${errorCode(error) ?? 'error'}`);
  } finally {
    await pathHandle.close();
  }
}

async function readReopened(fd: number, named: Stats, buffer: Buffer): Promise<CertificateFileRead> {
  const maxBytes = buffer.length - 1;
  const handle = await open(`/proc/self/fd/${fd}`, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const opened = await handle.stat();
    if (!opened.isFile() || opened.ino !== named.ino || opened.dev !== named.dev) {
      return refused('not-a-regular-file', 'changed while it was opened');
    }
    let filled = 0;
    try {
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled > maxBytes) return refused('too-large', `grew past the limit of ${maxBytes} bytes while it was read`);
      return { kind: 'file', text: buffer.toString('utf8', 0, filled) };
    } finally {
      buffer.fill(0, 0, filled); // a reused buffer keeps nothing of what the workload wrote
    }
  } finally {
    await handle.close();
  }
}

function refused(reason: RefusalReason, detail: string): CertificateFileRead {
  return { kind: 'refused', reason, detail };
}

function typeName(stats: Stats): string {
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  if (stats.isSocket()) return 'socket';
  return 'special file';
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

export interface WaitForFileOptions {
  readonly timeoutMs: number;
  /** Poll period; the fallback where inotify does not fire (some mounts, missing directory). */
  readonly pollMs: number;
  readonly clock: Clock;
  /** Most bytes read from one file; larger files are refused. */
  readonly maxBytes?: number;
  /** Least time between two checks after a burst of 5, however many change events arrive; default 20 ms. */
  readonly minCheckIntervalMs?: number;
  /** Told about every refused read (for the metric and the final error), never given content. */
  readonly onRefused?: (path: string, refusal: Extract<CertificateFileRead, { kind: 'refused' }>) => void;
}

/** What to do with a file's content: accept it (stop waiting) or keep waiting for a newer one. */
export type FileVerdict<T> = { readonly accept: true; readonly value: T } | { readonly accept: false };

/**
 * Waits until one of `paths` holds content that `evaluate` accepts. Re-reads on every change
 * event of the parent directories and every `pollMs`; resolves undefined at the timeout and
 * rejects with the signal's reason on abort. Watchers and timers are always released. Content
 * is handed to `evaluate` and not kept here: a rejected file is garbage as soon as it returns.
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
    // One buffer for every read of this wait: the checks run one at a time.
    const buffer = Buffer.alloc((options.maxBytes ?? DEFAULT_MAX_CERTIFICATE_FILE_BYTES) + 1);
    let again = false;
    const minGapMs = Math.max(1, options.minCheckIntervalMs ?? DEFAULT_MIN_CHECK_INTERVAL_MS);
    const checks = new TokenBucket(CHECK_BURST, 1000 / minGapMs, options.clock.now());
    let cancelDeferred: (() => void) | undefined;

    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      for (const w of watchers) w.close();
      cancelPoll();
      cancelTimeout();
      cancelDeferred?.();
      signal.removeEventListener('abort', onAbort);
      settle();
    };
    const onAbort = () => finish(() => reject(signal.reason));

    // Change events come as fast as the workload can make them (it owns the directory): checks
    // run one at a time, and beyond a small burst at most one per minCheckIntervalMs, so a storm
    // costs bounded CPU while Conjur's one write is still seen at once.
    const request = (): void => {
      if (done) return;
      if (checking) return void (again = true);
      if (checks.take(options.clock.now())) return void check();
      cancelDeferred ??= options.clock.setTimer(() => {
        cancelDeferred = undefined;
        request();
      }, minGapMs);
    };
    const check = async (): Promise<void> => {
      checking = true;
      again = false;
      try {
        for (const path of paths) {
          const read = await readCertificateFile(path, buffer.length - 1, buffer);
          if (done) return;
          if (read.kind === 'refused') options.onRefused?.(path, read);
          if (read.kind !== 'file') continue;
          const verdict = evaluate(read.text, path);
          if (verdict.accept) return finish(() => resolve(verdict.value));
        }
      } catch (error) {
        return finish(() => reject(error));
      } finally {
        checking = false;
      }
      if (again) request();
    };
    const poll = () => {
      if (done) return;
      request();
      cancelPoll = options.clock.setTimer(poll, options.pollMs);
    };

    signal.addEventListener('abort', onAbort, { once: true });
    cancelTimeout = options.clock.setTimer(() => finish(() => resolve(undefined)), options.timeoutMs);
    for (const dir of new Set(paths.map((p) => dirname(p)))) {
      const names = new Set(paths.filter((p) => dirname(p) === dir).map((p) => basename(p)));
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || names.has(String(name))) request();
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
