import { readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Peer } from '../peer/index.js';
import { AttestationError } from './attestation-error.js';
import type { UnixFacts } from './workload-facts.js';

export interface UnixAttestorOptions {
  /** Where /proc is: `/proc` normally, a temporary directory in tests. */
  readonly procRoot: string;
}

/**
 * Attests a local process for development mode: pid, uid and gid exactly as the kernel reported
 * them for the socket (SO_PEERCRED), plus the executable path from `<procRoot>/<pid>/exe`.
 * Nothing the caller sends is used. The executable path is informational: it is absent when
 * the agent may not read it (another user's process without CAP_SYS_PTRACE), and it is never
 * a reason to grant an identity. The caller must re-check `peer.isStillAlive()` afterwards.
 */
export class UnixAttestor {
  constructor(private readonly options: UnixAttestorOptions) {}

  async attest(peer: Peer, signal: AbortSignal): Promise<UnixFacts> {
    signal.throwIfAborted();
    const { pid, uid, gid } = peer.credentials;
    // pid 0: the peer is in another pid namespace, so nothing about it can be re-checked.
    if (!Number.isInteger(pid) || pid <= 0) {
      throw new AttestationError('not-a-workload', 'peer pid is not visible in this pid namespace');
    }
    const exePath = await this.readExePath(pid);
    signal.throwIfAborted();
    return { kind: 'unix', process: exePath === undefined ? { pid, uid, gid } : { pid, uid, gid, exePath } };
  }

  private async readExePath(pid: number): Promise<string | undefined> {
    const dir = join(this.options.procRoot, String(pid));
    try {
      return await readlink(join(dir, 'exe'));
    } catch (error) {
      // EACCES/EPERM: another user's process. ENOENT with the pid directory still there: a
      // process without an executable (a kernel thread, or one that is exiting).
      if (await exists(dir)) return undefined;
      throw new AttestationError('unavailable', `process ${pid} is gone (${dir} does not exist)`, { cause: error });
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
