import { SingleFlight } from '../async/index.js';
import { F, describeError } from '../log/index.js';
import type { WorkloadIdentity } from '../identity/index.js';
import type { X509Svid } from '../spiffe/index.js';
import type { CacheDeps, EntryHost } from './cache-deps.js';
import type { CacheEntry } from './cache-entry.js';
import { IssuanceError } from './issuance-error.js';
import type { IssuanceErrorCode } from './issuance-error.js';
import type { X509Issuer } from './ports.js';
import { isValidAt, refreshAt, retryDelayMs } from './refresh-schedule.js';

/**
 * Issues and renews X509-SVIDs for cache entries: one issuance in flight per entry, renewal at
 * about half-life with jitter, and on failure either a backed-off retry (while the SVID held is
 * still valid: outages never take a valid SVID away) or the end of the entry's streams.
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

  private async issue(entry: CacheEntry): Promise<void> {
    entry.cancelTimer('x509');
    try {
      const svid = await this.deps.semaphore.with(entry.signal, () => this.issuer.issue(entry.identity, entry.signal));
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
    entry.issueAttempt = 0;
    this.host.publish(entry);
    // Never sooner than the first retry delay: an SVID that arrives already past its renewal
    // point (a skewed clock, a stale certificate) must not turn into an issuance loop.
    const renewInMs = Math.max(refreshAt(svid, this.deps.options, this.deps.random) - now, this.deps.options.retryBackoff.initialMs);
    entry.setTimer('x509', renewInMs, () => void this.start(entry));
    this.deps.logger.info('Issued X509-SVID', {
      [F.spiffeId]: svid.id.toString(),
      [F.notAfter]: svid.notAfter.toISOString(),
      [F.ttlMs]: svid.notAfter.getTime() - now,
    });
  }

  private onFailed(entry: CacheEntry, error: IssuanceError): void {
    const now = this.deps.clock.now();
    const fields = { [F.spiffeId]: entry.identity.spiffeId.toString(), [F.reason]: error.code, [F.cause]: describeError(error) };
    if (error.code === 'denied' || error.code === 'evicted' || !entry.svid || !isValidAt(entry.svid, now)) {
      this.deps.logger.warn('X509-SVID issuance failed', fields);
      this.host.drop(entry, error);
      return;
    }
    const delayMs = retryDelayMs(entry.issueAttempt++, this.deps.options.retryBackoff, entry.svid.notAfter.getTime(), now, this.deps.random);
    this.deps.logger.warn('X509-SVID renewal failed; serving the current one', { ...fields, retryInMs: delayMs });
    entry.setTimer('x509', delayMs, () => void this.start(entry));
  }
}

/** An issuer that answers for another ID, or with no certificate, has failed: never serve that. */
function checkIssued(identity: WorkloadIdentity, svid: X509Svid): void {
  if (!svid.id.equals(identity.spiffeId)) throw new IssuanceError('confirm-failed', `issuer returned an svid for ${svid.id.toString()}`);
  if (svid.certChain.length === 0) throw new IssuanceError('confirm-failed', 'issuer returned an svid without certificates');
}

const ISSUER_CODES: readonly string[] = ['denied', 'unavailable', 'confirm-failed'];

/**
 * Issuers are adapters and cannot import IssuanceError, so their errors are read by `code`:
 * a refusal stays a refusal (PermissionDenied); anything unknown counts as an outage.
 */
export function toIssuanceError(error: unknown): IssuanceError {
  if (error instanceof IssuanceError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : 'issuer failed';
  if (typeof code === 'string' && ISSUER_CODES.includes(code)) return new IssuanceError(code as IssuanceErrorCode, message, { cause: error });
  return new IssuanceError('unavailable', 'issuer failed', { cause: error });
}
