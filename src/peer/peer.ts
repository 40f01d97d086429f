/** What the kernel says about the process at the other end of a Unix socket connection. */
export interface PeerCredentials {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

/**
 * A connected caller. Attestation reads /proc/<pid> and the kubelet, which takes time: the
 * result may only be used if `isStillAlive()` is true afterwards (the same process, not a
 * recycled pid), as SPIRE's peertracker requires.
 */
export interface Peer {
  readonly connectionId: string;
  readonly credentials: PeerCredentials;
  isStillAlive(): Promise<boolean>;
}
