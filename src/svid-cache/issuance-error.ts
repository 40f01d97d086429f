/**
 * Why an SVID or token could not be obtained.
 * - denied: the issuer refused this identity (Conjur 403, or 401 several times in a row): PermissionDenied
 * - unavailable: the issuer could not be reached, refused ambiguously, or did not deliver in time: Unavailable
 * - confirm-failed: a delivered certificate failed a check; never served: Unavailable
 * - evicted: the pod was deleted or replaced; its credentials are gone: PermissionDenied
 * The message is what the workload is told: short, naming the failure, never a key or token.
 */
export type IssuanceErrorCode = 'denied' | 'unavailable' | 'confirm-failed' | 'evicted';

export class IssuanceError extends Error {
  override readonly name = 'IssuanceError';
  /** The HTTP status Conjur answered with, when the failure was an answer. */
  readonly status: number | undefined;
  constructor(
    readonly code: IssuanceErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number | undefined },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
  }
}
