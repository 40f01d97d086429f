import { backoffDelayMs } from '../async/index.js';
import type { BackoffOptions } from '../async/index.js';
import type { AccessToken } from './access-token.js';

// Pure scheduling arithmetic: when to renew an SVID, refresh a token, or retry after a failure.
// Times are epoch milliseconds; randomness comes in as an argument so tests can pin it.

export interface RenewalOptions {
  /** Renew when this fraction of the lifetime has passed (0.5: half-life, as SPIRE does). */
  renewAtFraction: number;
  /** Spread renewals by up to this fraction of the lifetime either way, so pods do not renew together. */
  renewJitterFraction: number;
}

/** When to start renewing a certificate valid from `notBefore` to `notAfter`. */
export function refreshAt(validity: { notBefore: Date; notAfter: Date }, options: RenewalOptions, random: () => number): number {
  const start = validity.notBefore.getTime();
  const end = validity.notAfter.getTime();
  const lifetime = end - start;
  const jitter = (random() * 2 - 1) * options.renewJitterFraction * lifetime;
  return Math.min(end, Math.max(start, start + lifetime * options.renewAtFraction + jitter));
}

/**
 * When to refresh a token: `refreshBeforeMs` before it expires, but never before half its
 * lifetime, so a token shorter than the margin does not cause a refresh loop.
 */
export function tokenRefreshAt(token: AccessToken, refreshBeforeMs: number): number {
  const halfLife = token.issuedAt + (token.expiresAt - token.issuedAt) / 2;
  return Math.max(token.expiresAt - refreshBeforeMs, halfLife);
}

/**
 * Delay before retry number `attempt` (0-based): backoff with jitter, but never later than the
 * moment the credential still held expires, so an outage that outlives it is noticed then.
 */
export function retryDelayMs(attempt: number, backoff: BackoffOptions, heldUntil: number, now: number, random: () => number): number {
  return Math.max(0, Math.min(backoffDelayMs(attempt, backoff, random), heldUntil - now));
}

export function isValidAt(validity: { notAfter: Date } | undefined, now: number): boolean {
  return validity !== undefined && validity.notAfter.getTime() > now;
}
