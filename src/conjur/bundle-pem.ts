import { bundleSetOf } from '../spiffe/index.js';
import type { BundleSet, TrustDomain } from '../spiffe/index.js';
import { certificateFacts, parsePemCertificates } from '../x509/index.js';

/**
 * The authn-k8s CA certificate(s) as the bundle of `trustDomain`. Every PEM block must parse as a
 * certificate, so that a truncated or garbled bundle is refused whole instead of served in part.
 */
export function toBundleSet(pem: string, trustDomain: TrustDomain): BundleSet {
  const authorities = parsePemCertificates(pem);
  for (const der of authorities) certificateFacts(der);
  return bundleSetOf({ trustDomain, authorities });
}

/** A signal that aborts with `signal` or after `ms` of the clock; call `cancel` when done. */
export function timeoutSignal(signal: AbortSignal, ms: number, clock: { setTimer(fn: () => void, ms: number): () => void }) {
  const timeout = new AbortController();
  const cancel = clock.setTimer(() => timeout.abort(new Error(`timed out after ${ms} ms`)), ms);
  return { signal: AbortSignal.any([signal, timeout.signal]), cancel };
}
