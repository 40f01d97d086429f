import type { BundleSet, X509Bundle } from '../spiffe/index.js';
import type { X509BundlesResponse } from '../gen/X509BundlesResponse.js';

/** A bundle on the wire: its CA certificates' DER, concatenated with no separators. */
export function toBundleBytes(bundle: X509Bundle): Buffer {
  return Buffer.concat(bundle.authorities);
}

/**
 * Every trust domain's bundle keyed by the trust domain's SPIFFE ID (`spiffe://<td>`, as SPIRE
 * writes it; go-spiffe accepts this or the bare name). Keys are sorted so equal sets encode equally.
 */
export function toBundleMap(bundles: Iterable<X509Bundle>): Record<string, Buffer> {
  const entries = [...bundles].map((b): [string, Buffer] => [b.trustDomain.idString(), toBundleBytes(b)]);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

/** FetchX509Bundles: the full current set, every time (a missing trust domain means withdrawn). */
export function toX509BundlesResponse(bundles: BundleSet): X509BundlesResponse {
  return { crl: [], bundles: toBundleMap(bundles.values()) };
}
