/**
 * A token bucket: holds up to `burst` tokens, refilled at `ratePerSecond`, one taken per event.
 * Pure: the caller passes the time, so tests need no clock. The same shape as nghttp2's stream
 * reset limiter, which is why the Workload Endpoint can mirror that limiter with one of these.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly burst: number,
    readonly ratePerSecond: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.updatedAt = nowMs;
  }

  /** Takes one token; false (and nothing taken) when the bucket is empty. */
  take(nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Takes every token left at `nowMs`: from then on the bucket refills from nothing. */
  empty(nowMs: number): void {
    this.refill(nowMs);
    this.tokens = 0;
  }

  /** Whole tokens left at `nowMs`. */
  available(nowMs: number): number {
    this.refill(nowMs);
    return Math.floor(this.tokens);
  }

  private refill(nowMs: number): void {
    const elapsedMs = Math.max(0, nowMs - this.updatedAt);
    this.updatedAt = Math.max(this.updatedAt, nowMs);
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs / 1000) * this.ratePerSecond);
  }
}
