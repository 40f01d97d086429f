import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The part of a process's identity that changes when its pid is recycled. */
export interface ProcessSnapshot {
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
  readonly startTime: number;
  /** Effective ids from /proc/<pid>/status, the ones SO_PEERCRED reports. */
  readonly uid: number;
  readonly gid: number;
}

/** Start time (field 22 of /proc/<pid>/stat), or undefined when the process is gone. */
export function readProcessStartTime(pid: number, procRoot = '/proc'): number | undefined {
  try {
    return parseStartTime(readFileSync(join(procRoot, String(pid), 'stat'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Start time and effective ids of a process now, or undefined when it is gone. */
export async function readProcessSnapshot(pid: number, procRoot = '/proc'): Promise<ProcessSnapshot | undefined> {
  try {
    const dir = join(procRoot, String(pid));
    const [stat, status] = await Promise.all([readFile(join(dir, 'stat'), 'utf8'), readFile(join(dir, 'status'), 'utf8')]);
    const startTime = parseStartTime(stat);
    const ids = parseEffectiveIds(status);
    return startTime === undefined || ids === undefined ? undefined : { startTime, ...ids };
  } catch {
    return undefined;
  }
}

/**
 * The command name (field 2) is in parentheses and may itself contain spaces and ')', so fields
 * are counted from after the last ')': there field 3 (state) is the first, field 22 the 20th.
 */
export function parseStartTime(statText: string): number | undefined {
  const close = statText.lastIndexOf(')');
  if (close < 0) return undefined;
  const field22 = statText.slice(close + 1).trim().split(/\s+/)[19];
  const value = field22 === undefined ? NaN : Number(field22);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** `Uid:`/`Gid:` lines list real, effective, saved and filesystem ids; the second is effective. */
export function parseEffectiveIds(statusText: string): { uid: number; gid: number } | undefined {
  const uid = effectiveId(statusText, 'Uid');
  const gid = effectiveId(statusText, 'Gid');
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}

function effectiveId(statusText: string, label: 'Uid' | 'Gid'): number | undefined {
  const line = statusText.split('\n').find((l) => l.startsWith(`${label}:`));
  const value = Number(line?.slice(label.length + 1).trim().split(/\s+/)[1]);
  return Number.isSafeInteger(value) ? value : undefined;
}
