import type { AcceptedPeer } from '../peer/index.js';

interface Refused {
  readonly group: string;
  readonly peer: AcceptedPeer;
}

/**
 * Processes whose connections are being refused because their pod spent its early-reset budget
 * (HTTP/2 Rapid Reset, limits.earlyReset*), kept while that refusal lasts. A flooding pod
 * reconnects in a tight loop; finding the pod of a connection takes a /proc read, so without
 * this each refused reconnect would cost one. A remembered process is recognised by its pid only
 * while its own pidfd says it still runs (a pid is not reused while its process lives): a new
 * process that got a recycled pid is never refused for another's flood. Peers without a pidfd
 * (kernels before SO_PEERPIDFD) are not kept; their connections take the usual path.
 */
export class RefusedPeers {
  private readonly byPid = new Map<number, Refused>();

  constructor(
    /** At most this many processes (and pidfds) are kept; the oldest makes room. */
    private readonly max: number,
    /** Whether `group`'s new connections are still refused. */
    private readonly isRefused: (group: string) => boolean,
  ) {}

  get size(): number {
    return this.byPid.size;
  }

  /** Keeps `peer` (and its pidfd) while `group` is refused; false when not kept: the caller releases it. */
  remember(peer: AcceptedPeer, group: string): boolean {
    if (peer.liveness !== 'pidfd' || this.max <= 0) return false;
    this.forget(peer.credentials.pid);
    for (const [pid, refused] of this.byPid) if (!this.isRefused(refused.group)) this.forget(pid);
    if (this.byPid.size >= this.max) this.forget(this.byPid.keys().next().value!);
    this.byPid.set(peer.credentials.pid, { group, peer });
    return true;
  }

  /** Whether a process with this pid is kept (then refusedGroupOf says whether it is still refused). */
  has(pid: number): boolean {
    return this.byPid.has(pid);
  }

  /** The refused group of the process with this pid: undefined if it is not kept, or no longer refused or running. */
  async refusedGroupOf(pid: number): Promise<string | undefined> {
    const refused = this.byPid.get(pid);
    if (!refused) return undefined;
    if (this.isRefused(refused.group) && (await refused.peer.isStillAlive())) return refused.group;
    if (this.byPid.get(pid) === refused) this.forget(pid);
    return undefined;
  }

  clear(): void {
    for (const pid of [...this.byPid.keys()]) this.forget(pid);
  }

  private forget(pid: number): void {
    const refused = this.byPid.get(pid);
    if (!refused) return;
    this.byPid.delete(pid);
    refused.peer.release();
  }
}
