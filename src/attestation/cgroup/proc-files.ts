import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { AttestationError } from '../attestation-error.js';
import type { PeerCredentials } from '../../peer/index.js';

/** Default size limits: procfs reports size 0, so the only bound is the one we read up to. */
export const MAX_CGROUP_BYTES = 64 * 1024;
export const MAX_MOUNTINFO_BYTES = 1024 * 1024;
export const MAX_STATUS_BYTES = 16 * 1024;

const CHUNK_BYTES = 8 * 1024;

/** Why a /proc file was refused unread (or read only up to its bound). */
export type ProcReadRefusal = 'not-a-regular-file' | 'too-large';

/** Told about each refused read, for the metric; never given content. */
export type OnRefusedProcRead = (file: string, reason: ProcReadRefusal) => void;

/** `<procRoot>/<pid>/<name>`; the pid is a number, so it can never climb out of procRoot. */
export function procPath(procRoot: string, pid: number, name: string): string {
  return join(procRoot, String(pid), name);
}

/**
 * Reads a /proc file whole, up to `maxBytes`. A missing file means the process is gone
 * (unavailable: the caller may retry); a file that is not a regular file or is over the limit is
 * not something the kernel writes (mountinfo grows with a pod's own mounts), so it fails closed
 * as not-a-workload. Opened with O_NOFOLLOW | O_NONBLOCK and its type checked on the fd before
 * any read; memory held is what was read, never more than `maxBytes` + one chunk.
 */
export async function readProcFile(procRoot: string, pid: number, name: string, maxBytes: number, onRefused?: OnRefusedProcRead): Promise<string> {
  const path = procPath(procRoot, pid, name);
  const refuse = (reason: ProcReadRefusal, message: string) => {
    onRefused?.(name, reason);
    return new AttestationError('not-a-workload', message);
  };
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException | undefined)?.code === 'ELOOP') throw refuse('not-a-regular-file', `${path} is a symlink`);
    throw toReadError(path, pid, error);
  }
  try {
    if (!(await handle.stat()).isFile()) throw refuse('not-a-regular-file', `${path} is not a regular file`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw refuse('too-large', `${path} is larger than ${maxBytes} bytes`);
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } catch (error) {
    throw error instanceof AttestationError ? error : toReadError(path, pid, error);
  } finally {
    await handle.close();
  }
}

function toReadError(path: string, pid: number, error: unknown): AttestationError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ESRCH') {
    return new AttestationError('unavailable', `process ${pid} is gone (${path} does not exist)`, { cause: error });
  }
  return new AttestationError('unavailable', `cannot read ${path}`, { cause: error });
}

/**
 * The effective uid and gid from `<procRoot>/<pid>/status`, for callers that have a pid but no
 * socket (the debug command). A socket caller's credentials come from SO_PEERCRED instead.
 */
export async function readProcessCredentials(procRoot: string, pid: number): Promise<PeerCredentials> {
  const text = await readProcFile(procRoot, pid, 'status', MAX_STATUS_BYTES);
  const uid = effectiveId(text, 'Uid');
  const gid = effectiveId(text, 'Gid');
  if (uid === undefined || gid === undefined) {
    throw new AttestationError('unavailable', `${procPath(procRoot, pid, 'status')} has no Uid or Gid line`);
  }
  return { pid, uid, gid };
}

// `Uid:\t<real>\t<effective>\t<saved>\t<fs>`: the effective id is the one the kernel checks.
function effectiveId(status: string, field: 'Uid' | 'Gid'): number | undefined {
  const match = new RegExp(`^${field}:\\s+\\d+\\s+(\\d+)`, 'm').exec(status);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
