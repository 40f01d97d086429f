import { SingleFlight } from '../async/index.js';
import { F, describeError } from '../log/index.js';
import type { WorkloadIdentity } from '../identity/index.js';
import type { X509Svid } from '../spiffe/index.js';
import type { CacheDeps, EntryHost } from './cache-deps.js';
import type { CacheEntry } from './cache-entry.js';
import { IssuanceError } from './issuance-error.js';
import type { IssuanceErrorCode } from './issuance-error.js';
import type { X509Issuer } from './ports.js';
import { isValidAt, refreshAt } from './refresh-schedule.js';

/**
 * Issues and renews X509-SVIDs for cache entries: one issuance in flight per entry, renewal at
 * about half-life with jitter. A failure is recorded in the entry's failure state: while an SVID
 * is still valid it keeps being served (a refusal or outage never takes it away) and renewal is
 * retried with the backoff; without one, the entry's X.509 streams end with the failure and the
 * next attempt waits for the backoff, whoever asks meanwhile.
 */
export class SvidIssuance {
  private readonly flights = new SingleFlight<CacheEntry, void>();

  constructor(
    private readonly issuer: X509Issuer,
    private readonly deps: CacheDeps,
    private readonly host: EntryHost,
  ) {}

  /** Starts issuance for `entry` unless one is already running; never rejects. */
  start(entry: CacheEntry): Promise<void> {
    return this.flights.run(entry, () => this.issue(entry));
  }

  /**
   * For a subscriber of an entry without a valid SVID: the failure to answer with while the
   * backoff runs (no Conjur request is made), else issuance is started (or joined).
   */
  demand(entry: CacheEntry): IssuanceError | undefined {
    const blocked = entry.failures.x509.blockedError(this.deps.clock.now());
    if (blocked) {
      entry.failures.x509.wanted = true;
      return blocked;
    }
    void this.start(entry);
    return undefined;
  }

  private async issue(entry: CacheEntry): Promise<void> {
    entry.cancelTimer('x509');
    try {
      const svid = await this.issuer.issue(entry.identity, entry.signal);
      if (entry.isDropped) return;
      checkIssued(entry.identity, svid);
      this.onIssued(entry, svid);
    } catch (error) {
      if (entry.isDropped) return;
      this.onFailed(entry, toIssuanceError(error));
    }
  }

  private onIssued(entry: CacheEntry, svid: X509Svid): void {
    const now = this.deps.clock.now();
    entry.svid = svid;
    // A new certificate may also cure what failed the token (a rotated CA, say).
    entry.failures.x509.clear();
    entry.failures.token.clear();
    this.host.publish(entry);
    // Never sooner than the first backoff step: an SVID that arrives already past its renewal
    // point (a skewed clock, a stale certificate) must not turn into an issuance loop.
    const renewInMs = Math.max(refreshAt(svid, this.deps.options, this.deps.random) - now, this.deps.options.failureBackoff.initialMs);
    entry.setTimer('x509', renewInMs, () => void this.start(entry));
    this.deps.logger.info('Issued X509-SVID', {
      [F.spiffeId]: svid.id.toString(),
      [F.notAfter]: svid.notAfter.toISOString(),
      [F.ttlMs]: svid.notAfter.getTime() - now,
    });
  }

  private onFailed(entry: CacheEntry, error: IssuanceError): void {
    const now = this.deps.clock.now();
    if (error.code === 'evicted') return this.host.drop(entry, error);
    const failures = entry.failures.x509;
    const told = failures.record(error, now, this.deps.random);
    const fields = { [F.spiffeId]: entry.identity.spiffeId.toString(), [F.reason]: told.code, [F.status]: error.status, [F.cause]: describeError(error), failures: failures.count };
    const held = entry.svid;
    if (held && isValidAt(held, now)) {
      // Renewal: retried on the backoff, but no later than the held SVID's expiry.
      const delayMs = Math.max(0, Math.min(failures.retryAt, held.notAfter.getTime()) - now);
      this.deps.logger.warn('X509-SVID renewal failed; serving the current one', { ...fields, [F.retryInMs]: delayMs });
      entry.setTimer('x509', delayMs, () => void this.start(entry));
      return;
    }
    this.deps.logger.warn('X509-SVID issuance failed', { ...fields, [F.retryInMs]: failures.retryAt - now });
    entry.failSvids(told);
    // The next attempt is made when it is due only if a workload still wants it (one asked
    // meanwhile, or a stream is open); a workload that went away costs Conjur nothing more.
    entry.setTimer('x509', failures.retryAt - now, () => {
      if (failures.wanted || entry.x509Subscribers > 0 || entry.tokenSubscribers > 0) void this.start(entry);
    });
  }
}

/** An issuer that answers for another ID, or with no certificate, has failed: never serve that. */
function checkIssued(identity: WorkloadIdentity, svid: X509Svid): void {
  if (!svid.id.equals(identity.spiffeId)) throw new IssuanceError('confirm-failed', `issuer returned an svid for ${svid.id.toString()}`);
  if (svid.certChain.length === 0) throw new IssuanceError('confirm-failed', 'issuer returned an svid without certificates');
}

const ISSUER_CODES: readonly string[] = ['denied', 'unavailable', 'confirm-failed'];

/**
 * Issuers are adapters and cannot import IssuanceError, so their errors are read by shape
 * (`code`, `status`): a refusal stays a refusal; anything unknown counts as an outage. The
 * issuer's message is kept as it is (it names what failed; the issuer's error is the cause).
 */
export function toIssuanceError(error: unknown): IssuanceError {
  if (error instanceof IssuanceError) return error;
  const shape = (error ?? {}) as { code?: unknown; status?: unknown };
  const status = typeof shape.status === 'number' ? shape.status : undefined;
  if (typeof shape.code === 'string' && ISSUER_CODES.includes(shape.code) && error instanceof Error) {
    return new IssuanceError(shape.code as IssuanceErrorCode, error.message, { cause: error.cause, status });
  }
  return new IssuanceError('unavailable', 'issuer failed', { cause: error, status });
}
