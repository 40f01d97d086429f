import { readFile, stat } from 'node:fs/promises';
import { KubeError } from './kube-error.js';

/**
 * The bearer token from a projected service-account token file. The kubelet rotates that file
 * (atomically, through a symlink swap) well before the token expires, so it is stat'ed on every
 * use and read again only when its inode, size or mtime changed. The token is never logged.
 */
export class ServiceAccountToken {
  private cached: { version: string; token: string } | undefined;

  constructor(readonly path: string) {}

  async read(): Promise<string> {
    try {
      const info = await stat(this.path);
      const version = `${info.ino}:${info.size}:${info.mtimeMs}`;
      if (this.cached?.version === version) return this.cached.token;
      const token = (await readFile(this.path, 'utf8')).trim();
      if (!token) throw new KubeError('unavailable', `service account token file ${this.path} is empty`);
      this.cached = { version, token };
      return token;
    } catch (error) {
      if (error instanceof KubeError) throw error;
      throw new KubeError('unavailable', `cannot read service account token file ${this.path}`, { cause: error });
    }
  }
}
