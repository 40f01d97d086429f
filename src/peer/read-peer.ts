import { closeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { peercredAddon } from './native-addon.js';
import type { PeercredAddon } from './native-addon.js';
import { PeerError } from './peer-error.js';
import type { Peer, PeerCredentials } from './peer.js';
import { readProcessSnapshot, readProcessStartTime } from './proc-stat.js';
import { socketFd } from './socket-fd.js';

/**
 * A peer read when its connection was accepted. `liveness` says how `isStillAlive` decides:
 * 'pidfd' cannot be fooled by pid reuse; 'proc' compares /proc start time and ids, as SPIRE's
 * peertracker does on kernels without SO_PEERPIDFD. `release()` must be called when the
 * connection closes (it closes the pidfd); afterwards the peer never counts as alive.
 */
export interface AcceptedPeer extends Peer {
  readonly liveness: 'pidfd' | 'proc';
  release(): void;
}

export interface ReadPeerOptions {
  connectionId: string;
  /** Where /proc is mounted (tests lay out their own). Default '/proc'. */
  procRoot?: string;
}

/**
 * Reads SO_PEERCRED once (the kernel records it at connect()), plus SO_PEERPIDFD where the kernel
 * has it. Throws PeerError when the credentials cannot be read: the caller must drop the connection.
 */
export function readPeer(socket: Socket, options: ReadPeerOptions): AcceptedPeer {
  const addon = peercredAddon();
  const { fd, credentials } = credentialsOf(socket);
  const pidfd = addon.getPeerPidfd(fd);
  if (pidfd >= 0) return new PidfdPeer(options.connectionId, credentials, pidfd, addon);
  const procRoot = options.procRoot ?? '/proc';
  return new ProcPeer(options.connectionId, credentials, readProcessStartTime(credentials.pid, procRoot), procRoot);
}

/**
 * SO_PEERCRED alone (one system call, no pidfd, no /proc): enough to recognise a process
 * already known, before paying for the rest of readPeer. Throws PeerError as readPeer does.
 */
export function readPeerCredentials(socket: Socket): PeerCredentials {
  return credentialsOf(socket).credentials;
}

function credentialsOf(socket: Socket): { fd: number; credentials: PeerCredentials } {
  const fd = socketFd(socket);
  if (fd === undefined) throw new PeerError('unreadable', 'connection has no file descriptor (closed or not a Unix socket)');
  let credentials: PeerCredentials;
  try {
    const { pid, uid, gid } = peercredAddon().getPeerCred(fd);
    credentials = Object.freeze({ pid, uid, gid });
  } catch (error) {
    throw new PeerError('unreadable', 'cannot read the peer credentials of the connection', { cause: error });
  }
  if (credentials.pid <= 0) {
    throw new PeerError('no-pid', 'peer pid reads 0: the caller is in a pid namespace the agent cannot see (run the agent with hostPID)');
  }
  return { fd, credentials };
}

/** Liveness from a pidfd: it refers to exactly one process and polls readable once that exits. */
class PidfdPeer implements AcceptedPeer {
  readonly liveness = 'pidfd';
  private pidfd: number | undefined;

  constructor(
    readonly connectionId: string,
    readonly credentials: PeerCredentials,
    pidfd: number,
    private readonly addon: PeercredAddon,
  ) {
    this.pidfd = pidfd;
  }

  isStillAlive(): Promise<boolean> {
    // After release the fd number may already belong to something else: never poll it.
    return Promise.resolve(this.pidfd !== undefined && this.addon.isPidfdAlive(this.pidfd));
  }

  release(): void {
    if (this.pidfd === undefined) return;
    const pidfd = this.pidfd;
    this.pidfd = undefined;
    closeSync(pidfd);
  }
}

/** Liveness from /proc: the same pid with the same start time and ids is the same process. Exported for tests (this kernel has pidfds). */
export class ProcPeer implements AcceptedPeer {
  readonly liveness = 'proc';
  private released = false;

  constructor(
    readonly connectionId: string,
    readonly credentials: PeerCredentials,
    /** Undefined when the process was already gone at accept: it never counts as alive. */
    private readonly startTime: number | undefined,
    private readonly procRoot: string,
  ) {}

  async isStillAlive(): Promise<boolean> {
    if (this.released || this.startTime === undefined) return false;
    const now = await readProcessSnapshot(this.credentials.pid, this.procRoot);
    return (
      now !== undefined &&
      now.startTime === this.startTime &&
      now.uid === this.credentials.uid &&
      now.gid === this.credentials.gid
    );
  }

  release(): void {
    this.released = true;
  }
}
