import type { X509Bundle, X509Context, X509Svid } from '../spiffe/index.js';
import { toPem } from '../x509/index.js';
import type { SdsOptions } from './sds-options.js';
import type { SdsSecret, ValidationForm } from './sds-secret.js';

/**
 * The Secrets a caller gets for the resource names it asked for (SPIRE's rules, names from
 * `options`):
 * - its SPIFFE ID, or `defaultSvidName` (its first SVID) → `tls_certificate`, named as asked;
 * - `spiffe://<td>` of a trust domain in the context, or `defaultBundleName` (its own trust
 *   domain) → one bundle as a validation context;
 * - `defaultAllBundlesName` → every trust domain's bundle in one validation context;
 * - no names → every SVID by SPIFFE ID and every bundle by `spiffe://<td>`.
 * Unknown names are left out (Envoy keeps waiting for them, which it reports), duplicates once.
 * Pure: the same context, names and form always give the same Secrets in the same order.
 */
export function selectSecrets(context: X509Context, names: readonly string[], form: ValidationForm, options: SdsOptions): SdsSecret[] {
  if (names.length === 0) return everySecret(context, form);
  const secrets: SdsSecret[] = [];
  for (const name of new Set(names)) {
    const secret = secretNamed(name, context, form, options);
    if (secret) secrets.push(secret);
  }
  return secrets;
}

function everySecret(context: X509Context, form: ValidationForm): SdsSecret[] {
  const bundles = sortedBundles(context).map((bundle) => validationContext(bundle.trustDomain.idString(), [bundle], form));
  return [...bundles, ...context.svids.map((svid) => tlsCertificate(svid.id.toString(), svid))];
}

function secretNamed(name: string, context: X509Context, form: ValidationForm, options: SdsOptions): SdsSecret | undefined {
  const svid = context.svids.find((s) => s.id.toString() === name) ?? (name === options.defaultSvidName ? context.svids[0] : undefined);
  if (svid) return tlsCertificate(name, svid);
  const bundle = bundleNamed(name, context, options);
  if (bundle) return validationContext(name, [bundle], form);
  if (name === options.defaultAllBundlesName && context.bundles.size > 0) return validationContext(name, sortedBundles(context), form);
  return undefined;
}

function bundleNamed(name: string, context: X509Context, options: SdsOptions): X509Bundle | undefined {
  const byId = [...context.bundles.values()].find((b) => b.trustDomain.idString() === name);
  if (byId) return byId;
  if (name !== options.defaultBundleName) return undefined;
  const own = context.svids[0]?.id.trustDomain.name;
  return own === undefined ? undefined : context.bundles.get(own);
}

function tlsCertificate(name: string, svid: X509Svid): SdsSecret {
  return {
    kind: 'tls-certificate',
    name,
    certificateChainPem: svid.certChain.map((der) => toPem(der, 'CERTIFICATE')).join(''),
    privateKeyPem: toPem(svid.privateKey, 'PRIVATE KEY'),
  };
}

function validationContext(name: string, bundles: readonly X509Bundle[], form: ValidationForm): SdsSecret {
  if (form === 'trusted-ca') return { kind: 'trusted-ca', name, trustedCaPem: bundles.map(bundlePem).join('') };
  return { kind: 'spiffe-validator', name, trustDomains: bundles.map((b) => ({ name: b.trustDomain.name, bundlePem: bundlePem(b) })) };
}

function bundlePem(bundle: X509Bundle): string {
  return bundle.authorities.map((der) => toPem(der, 'CERTIFICATE')).join('');
}

/** Sorted by trust domain name, so the same set always gives the same content (and version). */
function sortedBundles(context: X509Context): X509Bundle[] {
  return [...context.bundles.values()].sort((a, b) => (a.trustDomain.name < b.trustDomain.name ? -1 : a.trustDomain.name > b.trustDomain.name ? 1 : 0));
}
