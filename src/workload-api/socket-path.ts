import { constants } from 'node:fs';
import { access, lstat, stat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { EndpointError } from './endpoint-error.js';

/**
 * Makes `socketPath` ready for listen(): its directory exists and is writable, and a stale
 * socket left by a crashed agent is removed. A socket that still answers belongs to a live
 * agent: fail instead of stealing its path (unlinking it would orphan that agent's clients).
 */
export async function prepareSocketPath(socketPath: string): Promise<void> {
  await checkDirectory(socketPath);
  const existing = await lstat(socketPath).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new EndpointError('listen-failed', `cannot inspect ${socketPath}: ${error.code ?? error.message}`, { cause: error });
  });
  if (existing === undefined) return;
  if (!existing.isSocket()) {
    throw new EndpointError('not-a-socket', `${socketPath} exists and is not a socket: remove it or choose another socket path`);
  }
  if (await isAnswering(socketPath)) {
    throw new EndpointError('in-use', `another server is already listening on ${socketPath}: stop it or choose another socket path`);
  }
  await unlink(socketPath).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw toListenError(error, socketPath);
  });
}

/** One line for each way the kernel can refuse to create the socket file. */
export function toListenError(error: NodeJS.ErrnoException, socketPath: string): EndpointError {
  const dir = dirname(socketPath);
  switch (error.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new EndpointError('directory-missing', `socket directory ${dir} does not exist: create it or choose another socket path`, { cause: error });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new EndpointError('directory-unwritable', `cannot create the socket in ${dir} (${error.code}): make the directory writable for the agent or choose another socket path`, { cause: error });
    case 'EADDRINUSE':
      return new EndpointError('in-use', `${socketPath} is already in use: stop the other server or choose another socket path`, { cause: error });
    default:
      return new EndpointError('listen-failed', `cannot listen on ${socketPath}: ${error.code ?? error.message}`, { cause: error });
  }
}

async function checkDirectory(socketPath: string): Promise<void> {
  const dir = dirname(socketPath);
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) {
    throw new EndpointError('directory-missing', `socket directory ${dir} does not exist: create it or choose another socket path`);
  }
  if (!info.isDirectory()) {
    throw new EndpointError('directory-missing', `socket directory ${dir} is not a directory: choose another socket path`);
  }
  // access() is advisory (root passes it even where the kernel refuses): listen() errors are mapped too.
  await access(dir, constants.W_OK | constants.X_OK).catch((error: NodeJS.ErrnoException) => {
    throw toListenError(error, socketPath);
  });
}

/** A connect() to a Unix socket answers at once: accepted (live) or ECONNREFUSED (stale). */
function isAnswering(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
