import { IssuanceError } from './issuance-error.js';

/**
 * How failed Conjur attempts for one identity are paced: exponential backoff (×3) with jitter
 * from `initialMs` up to `maxMs`, and how many consecutive refusals (Conjur's ambiguous empty 401)
 * are reported as Unavailable before they become PermissionDenied.
 */
export interface FailurePolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly refusalsBeforeDenied: number;
}

// ×3 rather than ×2: the backoff reaches the cap within about a minute and a half, so a pod that
// fails forever costs Conjur 5 requests in its first 35 s and then one per cap interval.
const MULTIPLIER = 3;

/**
 * The failure record of one kind of credential (SVID or token) of one identity, shared by every
 * stream of that identity: while the backoff runs, a caller gets the last failure at once and no
 * Conjur request is made. A success clears it. Pure bookkeeping: times come in as arguments.
 */
export class FailureState {
  private failures = 0;
  private refusals = 0;
  private last: { readonly error: IssuanceError; readonly reason: string; readonly retryAt: number } | undefined;
  /** A caller was turned away during the current step: the retry at `retryAt` is wanted. */
  wanted = false;

  constructor(
    private readonly policy: FailurePolicy,
    private readonly what: string,
  ) {}

  get isFailing(): boolean {
    return this.last !== undefined;
  }

  get retryAt(): number {
    return this.last?.retryAt ?? 0;
  }

  /** Consecutive failures since the last success. */
  get count(): number {
    return this.failures;
  }

  /**
   * Records a failed attempt and returns the error callers get until the next attempt: the
   * issuer's reason and when the agent will ask again. An empty 401 counts as Unavailable until
   * `refusalsBeforeDenied` in a row; 403 (no `authenticate` privilege) is final until the cap.
   */
  record(error: IssuanceError, now: number, random: () => number): IssuanceError {
    this.failures++;
    const refused = error.code === 'denied' && error.status === 401;
    this.refusals = refused ? this.refusals + 1 : 0;
    const final = error.code === 'denied' && !refused;
    const delayMs = final ? this.capDelay(random) : this.delay(random);
    const code = final || (refused && this.refusals >= this.policy.refusalsBeforeDenied) ? 'denied' : error.code === 'denied' ? 'unavailable' : error.code;
    const said = withoutNodePaths(error.message);
    const reason = refused && this.refusals > 1 ? `${said} (${this.refusals} times in a row)` : said;
    const retryAt = now + delayMs;
    this.last = { error: new IssuanceError(code, `${this.what}: ${reason}`, { cause: error, status: error.status }), reason, retryAt };
    this.wanted = false;
    return this.blockedError(now)!;
  }

  /** The last failure, naming the next attempt, while the backoff runs; undefined once it may be retried. */
  blockedError(now: number): IssuanceError | undefined {
    const last = this.last;
    if (!last || now >= last.retryAt) return undefined;
    const seconds = Math.ceil((last.retryAt - now) / 1000);
    const message = `${this.what}: ${last.reason}; next attempt in ${seconds} s (at ${new Date(last.retryAt).toISOString()})`;
    return new IssuanceError(last.error.code, message, { cause: last.error.cause, status: last.error.status });
  }

  clear(): void {
    this.failures = 0;
    this.refusals = 0;
    this.last = undefined;
    this.wanted = false;
  }

  private delay(random: () => number): number {
    const base = this.policy.initialMs * MULTIPLIER ** (this.failures - 1);
    if (base >= this.policy.maxMs) return this.capDelay(random);
    // ±25 %, never beyond the cap.
    return Math.min(this.policy.maxMs, Math.round(base * (0.75 + 0.5 * random())));
  }

  // At the cap the jitter only lengthens the wait, so the cap really is the shortest interval.
  private capDelay(random: () => number): number {
    return Math.round(this.policy.maxMs * (1 + 0.1 * random()));
  }
}

/**
 * The workload is told which file was refused, not where the node keeps its pods' volumes: an
 * absolute path becomes its last segment (a URI such as spiffe://… is not a path here).
 */
function withoutNodePaths(message: string): string {
  return message.replace(/(^|\s)\/[^\s]*\/([^/\s]+)/g, '$1$2');
}
