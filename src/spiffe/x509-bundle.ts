import type { TrustDomain } from './trust-domain.js';

/** The X.509 authorities (DER CA certificates) of one trust domain. */
export interface X509Bundle {
  readonly trustDomain: TrustDomain;
  readonly authorities: readonly Buffer[];
}

/** Bundles keyed by trust domain name; the agent's own trust domain is always present when served. */
export type BundleSet = ReadonlyMap<string, X509Bundle>;

export function bundleSetOf(...bundles: X509Bundle[]): BundleSet {
  return new Map(bundles.map((b) => [b.trustDomain.name, b]));
}

/** True when both sets hold the same trust domains with byte-identical authorities. */
export function sameBundleSet(a: BundleSet, b: BundleSet): boolean {
  if (a.size !== b.size) return false;
  for (const [name, bundle] of a) {
    const other = b.get(name);
    if (!other || other.authorities.length !== bundle.authorities.length) return false;
    if (!bundle.authorities.every((der, i) => der.equals(other.authorities[i]!))) return false;
  }
  return true;
}
