/**
 * Why the Workload API itself ended a call (errors from attestation and issuance keep their own
 * classes; status.ts maps all of them).
 * - missing-header: no single `workload.spiffe.io: true` header
 * - unknown-peer: no peer credentials are stored for the call's connection
 * - caller-gone: the caller exited (or its pid was reused) while it was being attested
 * - caller-exited: the process that opened a stream has exited; nothing more is pushed to it
 * - no-identity: the caller was attested but is entitled to no identity
 * - stream-ended: a subscription ended without an error; the client should reconnect
 * - shutting-down: the agent is stopping
 */
export type WorkloadApiErrorCode =
  | 'missing-header'
  | 'unknown-peer'
  | 'caller-gone'
  | 'caller-exited'
  | 'no-identity'
  | 'stream-ended'
  | 'shutting-down';

export class WorkloadApiError extends Error {
  override readonly name = 'WorkloadApiError';
  constructor(
    readonly code: WorkloadApiErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
