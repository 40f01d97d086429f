export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  multiplier?: number;
  /** Fraction of randomisation either way, 0.5 = ±50 %. */
  jitter?: number;
}

/** Exponential backoff with jitter: delay for retry number `attempt` (0-based). */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const { initialMs, maxMs, multiplier = 2, jitter = 0.5 } = options;
  const base = Math.min(maxMs, initialMs * multiplier ** attempt);
  const spread = base * jitter;
  return Math.max(0, Math.round(base - spread + random() * 2 * spread));
}
