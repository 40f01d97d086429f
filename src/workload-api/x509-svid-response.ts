import type { X509Context, X509Svid } from '../spiffe/index.js';
import type { X509SVID } from '../gen/X509SVID.js';
import type { X509SVIDResponse } from '../gen/X509SVIDResponse.js';
import { toBundleBytes, toBundleMap } from './x509-bundles-response.js';

/**
 * FetchX509SVID's message for one context, as SPIRE's composeX509SVIDResponse builds it:
 * - svids in the context's order (the first is the default identity), later duplicate hints dropped;
 * - x509_svid: the DER chain, leaf first, concatenated; x509_svid_key: PKCS#8 DER;
 * - bundle: the SVID's own trust domain's authorities (empty if the context lacks that bundle);
 * - federated_bundles: every other trust domain in the context, keyed `spiffe://<td>`.
 */
export function toX509SvidResponse(context: X509Context): X509SVIDResponse {
  const svids = withUniqueHints(context.svids);
  const ownDomains = new Set(svids.map((s) => s.id.trustDomain.name));
  const federated = [...context.bundles.values()].filter((b) => !ownDomains.has(b.trustDomain.name));
  return {
    svids: svids.map((svid) => toX509Svid(svid, context)),
    crl: [],
    federated_bundles: toBundleMap(federated),
  };
}

function toX509Svid(svid: X509Svid, context: X509Context): X509SVID {
  const bundle = context.bundles.get(svid.id.trustDomain.name);
  return {
    spiffe_id: svid.id.toString(),
    x509_svid: Buffer.concat(svid.certChain),
    x509_svid_key: svid.privateKey,
    bundle: bundle ? toBundleBytes(bundle) : Buffer.alloc(0),
    hint: svid.hint,
  };
}

/** A non-empty hint must be unique within a response; clients keep the first, so do we. */
export function withUniqueHints(svids: readonly X509Svid[]): X509Svid[] {
  const seen = new Set<string>();
  return svids.filter((svid) => {
    if (svid.hint === '') return true;
    if (seen.has(svid.hint)) return false;
    seen.add(svid.hint);
    return true;
  });
}
