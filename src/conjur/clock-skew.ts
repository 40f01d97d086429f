import { F } from '../log/index.js';
import type { Logger } from '../log/index.js';

// Conjur's clock is read with one-second resolution (the Date header, the token's iat): take the
// middle of that second, so a zero skew reads as zero on average.
const HALF_SECOND_MS = 500;
const WARN_ABOVE_MS = 30_000;

/**
 * The offset of Conjur's clock from this node's (positive: Conjur is ahead), measured from each
 * response's Date header and each token's iat against the local receive time. Tokens and
 * certificates are timed from their own lifetimes counted locally, so skew does not break them;
 * it is exported as a metric and logged once when it passes 30 s (again only after it has
 * come back under 15 s).
 */
export class ClockSkew {
  private skewMs: number | undefined;
  private warned = false;

  constructor(private readonly log: Logger) {}

  /** The latest measurement in milliseconds (0 before any). */
  get currentMs(): number {
    return this.skewMs ?? 0;
  }

  /** A Date header value (RFC 7231) from a response received at `receivedAt` (local ms). */
  observeDateHeader(header: string | undefined, receivedAt: number): void {
    const remote = header === undefined ? Number.NaN : Date.parse(header);
    if (Number.isFinite(remote)) this.observe(remote + HALF_SECOND_MS, receivedAt);
  }

  /** A token's iat (seconds) received at `receivedAt` (local ms). */
  observeIssuedAt(iatSeconds: number, receivedAt: number): void {
    this.observe(iatSeconds * 1000 + HALF_SECOND_MS, receivedAt);
  }

  private observe(remoteMs: number, localMs: number): void {
    const skewMs = remoteMs - localMs;
    this.skewMs = skewMs;
    if (Math.abs(skewMs) > WARN_ABOVE_MS && !this.warned) {
      this.warned = true;
      this.log.warn("Conjur's clock differs from this node's", { [F.skewMs]: Math.round(skewMs) });
    } else if (Math.abs(skewMs) < WARN_ABOVE_MS / 2) {
      // Hysteresis: a skew hovering around the threshold is not logged at every response.
      this.warned = false;
    }
  }
}
