/**
 * Why a connection's peer could not be identified.
 * - unreadable: the kernel would not give the socket's peer credentials (not a Unix socket, closed)
 * - no-pid: the peer's pid reads 0, i.e. it lives in a pid namespace the agent cannot see
 *   (in Kubernetes the DaemonSet needs hostPID: true)
 */
export type PeerErrorCode = 'unreadable' | 'no-pid';

export class PeerError extends Error {
  override readonly name = 'PeerError';
  constructor(
    readonly code: PeerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
