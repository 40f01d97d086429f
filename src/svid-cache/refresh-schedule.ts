import type { AccessToken } from './access-token.js';

// Pure scheduling arithmetic: when to renew an SVID or refresh a token.
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

export function isValidAt(validity: { notAfter: Date } | undefined, now: number): boolean {
  return validity !== undefined && validity.notAfter.getTime() > now;
}
