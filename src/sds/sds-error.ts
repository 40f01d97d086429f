/**
 * Why the SDS service itself refused a call (attestation and issuance errors keep their own
 * classes; workload-api's toGrpcStatus maps all of them).
 * - invalid-request: a request this service cannot answer (another xDS type)
 */
export type SdsErrorCode = 'invalid-request';

export class SdsError extends Error {
  override readonly name = 'SdsError';
  constructor(
    readonly code: SdsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
