/**
 * Why the kubelet or the API server could not answer.
 * - unavailable: the request failed (connection, timeout, error status, malformed answer);
 *   attestation reports this as Unavailable, and a later request may succeed
 * - invalid-config: the client cannot be built from its options (missing CA, bad URL)
 */
export type KubeErrorCode = 'unavailable' | 'invalid-config';

export class KubeError extends Error {
  override readonly name = 'KubeError';
  constructor(
    readonly code: KubeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
