import { readFileSync, statSync } from 'node:fs';

/**
 * The file access configuration loading needs: read a small text file, and tell what is at a
 * path. node:fs by default; passed in so that a configuration meant for another machine (the
 * DaemonSet's ConfigMap) can be validated here.
 */
export interface ConfigFileSystem {
  /** The file's text; throws an error with a `code` (ENOENT, EACCES, EISDIR, ...) when it cannot. */
  readText(path: string): string;
  kindOf(path: string): 'file' | 'directory' | 'other' | 'missing';
}

export const nodeFileSystem: ConfigFileSystem = {
  readText: (path) => readFileSync(path, 'utf8'),
  kindOf(path) {
    try {
      const stat = statSync(path);
      if (stat.isFile()) return 'file';
      return stat.isDirectory() ? 'directory' : 'other';
    } catch {
      return 'missing';
    }
  },
};

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
};

/** `no such file`, `permission denied`, ... from a readText error. */
export function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === undefined ? String(error) : (REASONS[code] ?? code);
}

/** `cannot read /x (no such file)`, from a readText error. */
export function unreadable(path: string, error: unknown): string {
  return `cannot read ${path} (${reasonOf(error)})`;
}
