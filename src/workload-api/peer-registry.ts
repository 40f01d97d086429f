import type { AcceptedPeer } from '../peer/index.js';

/** Anything that can say which connection it arrived on: grpc-js calls answer with `getPeer()`. */
export interface CallOnConnection {
  getPeer(): string;
}

/**
 * The peers of open connections, keyed by connection id. The endpoint sets each socket's
 * `remoteAddress` to its connection id before handing it to grpc-js, so `call.getPeer()` returns
 * that id in every handler: this is the seam from a gRPC call back to kernel credentials.
 * State is keyed by connection, never by pid (pids are reused).
 */
export class PeerRegistry {
  private readonly peers = new Map<string, AcceptedPeer>();

  add(peer: AcceptedPeer): void {
    this.peers.set(peer.connectionId, peer);
  }

  /** Forgets the connection and releases its pidfd. */
  remove(connectionId: string): void {
    const peer = this.peers.get(connectionId);
    if (!peer) return;
    this.peers.delete(connectionId);
    peer.release();
  }

  get(connectionId: string): AcceptedPeer | undefined {
    return this.peers.get(connectionId);
  }

  /** The peer a call arrived from; undefined when its connection is already closed. */
  peerOf(call: CallOnConnection): AcceptedPeer | undefined {
    return this.peers.get(call.getPeer());
  }

  get size(): number {
    return this.peers.size;
  }
}
