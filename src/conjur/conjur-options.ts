/**
 * Retries inside one Conjur call, for connection-level failures only (refused, reset before an
 * answer): exponential backoff with ±50 % jitter. Answers (any status) and timeouts are never
 * retried here; the SVID cache's per-identity backoff is the one retry layer for those.
 */
export interface RetryOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Total attempts including the first; 1 disables retrying. */
  readonly maxAttempts: number;
}

/**
 * The Conjur slice of the agent's configuration (names follow the Conjur tooling's environment:
 * CONJUR_APPLIANCE_URL, CONJUR_AUTHN_URL, CONJUR_ACCOUNT, CONJUR_SSL_CERTIFICATE).
 */
export interface ConjurConnectionOptions {
  /** Base URL for /secrets, e.g. `https://conjur.example`. */
  readonly applianceUrl: string;
  /** The authenticator's URL, `…/authn-k8s/<service id>`. */
  readonly authnUrl: string;
  readonly account: string;
  /** The only trust anchor(s) for Conjur's TLS server certificate (PEM). */
  readonly sslCertificatePem: string;
  /** Upper bound for one HTTP exchange (connect to last body byte). */
  readonly requestTimeoutMs: number;
  readonly retry: RetryOptions;
  /** At most this many requests to Conjur in flight at once (the rest wait in arrival order). */
  readonly maxConcurrentRequests?: number;
}

/** The reference client's HTTP timeout is 10 s per request (protocol §12.2). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_RETRY: RetryOptions = { initialMs: 100, maxMs: 1_000, maxAttempts: 3 };
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 8;

/** `<svc>` of `…/authn-k8s/<svc>` (trailing slashes ignored, as Rails does). */
export function serviceIdOf(authnUrl: string): string {
  const segments = new URL(authnUrl).pathname.split('/').filter((s) => s !== '');
  const at = segments.lastIndexOf('authn-k8s');
  const serviceId = at >= 0 ? segments[at + 1] : undefined;
  if (serviceId === undefined || at + 2 !== segments.length) {
    throw new TypeError('conjur authn url must end with /authn-k8s/<service id>');
  }
  return serviceId;
}

/** The URL with its trailing slashes removed, so paths can be appended with `/`. */
export function trimTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
