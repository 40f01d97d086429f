import type { Socket } from 'node:net';

/**
 * The file descriptor behind an accepted Unix socket. Node has no public API for it, so this
 * reads the undocumented but long-stable `socket._handle.fd` (a libuv Pipe handle). It is the
 * only place that touches `_handle`: if a Node upgrade moves it, this function is the fix.
 */
export function socketFd(socket: Socket): number | undefined {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}
