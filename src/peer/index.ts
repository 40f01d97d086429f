// Kernel peer credentials of a Unix-socket connection and a liveness check against pid reuse.
// An attestation result may only be used if the peer is still alive afterwards.
export type { Peer, PeerCredentials } from './peer.js';
