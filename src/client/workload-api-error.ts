/**
 * Why a Workload API call failed, as a client sees it (the Endpoint spec's Appendix A).
 * - invalid-argument: the agent rejected the request (security header); never retried
 * - permission-denied: the caller has no identity yet; retried with backoff (eventual consistency)
 * - unavailable: the agent is down, starting or cannot serve now; retried with backoff
 * - unimplemented: the agent does not offer this service (for example a SPIRE agent asked for
 *   Conjur tokens); never retried
 * - invalid-response: the agent answered with something that breaks the SVID rules; retried
 * - closed: the source or client was closed (or its signal aborted) by this process
 */
export type WorkloadApiErrorCode =
  | 'invalid-argument'
  | 'permission-denied'
  | 'unavailable'
  | 'unimplemented'
  | 'invalid-response'
  | 'closed';

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

/** go-spiffe's rule: everything is retried except a rejected request and a missing service. */
export function isRetryable(error: WorkloadApiError): boolean {
  return error.code !== 'invalid-argument' && error.code !== 'unimplemented' && error.code !== 'closed';
}
