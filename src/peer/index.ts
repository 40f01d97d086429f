// Kernel peer credentials of a Unix-socket connection (pid, uid, gid; a pidfd where the kernel has
// SO_PEERPIDFD) and a liveness check against pid reuse. An attestation result may only be used if
// the peer is still alive afterwards. The native addon and /proc are read here and in attestation/.
export type { Peer, PeerCredentials } from './peer.js';
export { readPeer, readPeerCredentials } from './read-peer.js';
export type { AcceptedPeer, ReadPeerOptions } from './read-peer.js';
export { readProcessStartTime } from './proc-stat.js';
export { PeerError } from './peer-error.js';
export type { PeerErrorCode } from './peer-error.js';
export { ConnectionIds } from './connection-ids.js';
