/**
 * Why a Conjur call or an issuance failed. The codes are the same words as the SVID cache's
 * IssuanceError codes, so the composition root can map them one to one without this adapter
 * importing its consumer.
 * - denied: Conjur refused (401/403), or the workload cannot be issued for (no login, other node)
 * - unavailable: Conjur unreachable, 5xx, timed out, or the injected certificate never arrived
 * - confirm-failed: the delivered certificate failed a check (`check` says which); never served
 * - not-found: a Conjur variable does not exist or has no value (404)
 */
export type ConjurErrorCode = 'denied' | 'unavailable' | 'confirm-failed' | 'not-found';

/** The confirm checks of design.md §2.2 step 3, in the order they run. */
export type ConfirmCheck = 'parse' | 'public-key' | 'issuer' | 'spiffe-id' | 'common-name' | 'validity';

export interface ConjurErrorOptions {
  cause?: unknown;
  /** The HTTP status Conjur answered with, when there was one. */
  status?: number;
  /** For confirm-failed: the first check the certificate failed. */
  check?: ConfirmCheck;
  /**
   * The request never reached Conjur's application (connection refused or reset before any
   * answer): the only failure the client itself retries, within one attempt.
   */
  connectionLevel?: boolean;
}

export class ConjurError extends Error {
  override readonly name = 'ConjurError';
  readonly status: number | undefined;
  readonly check: ConfirmCheck | undefined;
  readonly connectionLevel: boolean;

  constructor(
    readonly code: ConjurErrorCode,
    message: string,
    options: ConjurErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.check = options.check;
    this.connectionLevel = options.connectionLevel ?? false;
  }
}
