/**
 * Why an SVID or token could not be obtained.
 * - denied: the issuer refused this identity (Conjur 401/403 after retries): PermissionDenied
 * - unavailable: the issuer could not be reached or did not deliver in time: Unavailable
 * - confirm-failed: a delivered certificate failed a check; never served: Unavailable
 * - evicted: the pod was deleted or replaced; its credentials are gone: PermissionDenied
 */
export type IssuanceErrorCode = 'denied' | 'unavailable' | 'confirm-failed' | 'evicted';

export class IssuanceError extends Error {
  override readonly name = 'IssuanceError';
  constructor(
    readonly code: IssuanceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
