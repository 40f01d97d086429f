/**
 * Why the Workload Endpoint could not start. Messages are one line saying what to fix.
 * - directory-missing: the socket's directory does not exist (or is not a directory)
 * - directory-unwritable: the agent may not create the socket there
 * - in-use: a live server already answers on the socket path
 * - not-a-socket: a file that is not a socket is in the way (never deleted for you)
 * - listen-failed: anything else the kernel refused
 */
export type EndpointErrorCode = 'directory-missing' | 'directory-unwritable' | 'in-use' | 'not-a-socket' | 'listen-failed';

export class EndpointError extends Error {
  override readonly name = 'EndpointError';
  constructor(
    readonly code: EndpointErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
