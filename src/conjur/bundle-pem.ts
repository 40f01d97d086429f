import { bundleSetOf } from '../spiffe/index.js';
import type { BundleSet, TrustDomain } from '../spiffe/index.js';
import { parseCertificateDer, parsePemCertificates } from '../x509/index.js';

/**
 * The authn-k8s CA certificate(s) as the bundle of `trustDomain`. Every PEM block must parse as a
 * certificate, so that a truncated or garbled bundle is refused whole instead of served in part.
 */
export function toBundleSet(pem: string, trustDomain: TrustDomain): BundleSet {
  const authorities = parsePemCertificates(pem);
  for (const der of authorities) parseCertificateDer(der);
  return bundleSetOf({ trustDomain, authorities });
}
