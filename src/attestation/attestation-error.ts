/**
 * Why a caller could not be attested.
 * - not-a-workload: the process is not in a pod (or the pod fails a trust check): no identity
 * - unavailable: attestation could not finish (kubelet or API server down, process gone)
 */
export type AttestationErrorCode = 'not-a-workload' | 'unavailable';

export class AttestationError extends Error {
  override readonly name = 'AttestationError';
  constructor(
    readonly code: AttestationErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
