import { X509Certificate } from 'node:crypto';
import { certificatesToPem } from '../client/index.js';
import type { BundleSet, ConjurToken, X509Bundle, X509Context, X509Svid } from '../client/index.js';

// What `api fetch` and `api watch` print: pure functions from values to text. The human form
// follows SPIRE's `api fetch x509` (tab-aligned, "Received N svid after T"); the JSON form
// carries certificates as PEM and never a private key or token.

export function formatX509Context(context: X509Context, elapsedMs: number): string {
  const lines = [`Received ${context.svids.length} svid after ${elapsedMs.toFixed(1)}ms`, ''];
  for (const svid of context.svids) lines.push(...svidLines(svid, context.bundles), '');
  return lines.join('\n');
}

export function formatBundles(bundles: BundleSet, elapsedMs: number): string {
  const lines = [`Received ${bundles.size} bundle${bundles.size === 1 ? '' : 's'} after ${elapsedMs.toFixed(1)}ms`, ''];
  for (const bundle of bundles.values()) lines.push(`Trust domain:\t\t${bundle.trustDomain}`, ...authorityLines(bundle, ''), '');
  return lines.join('\n');
}

export function x509ContextJson(context: X509Context): object {
  return {
    svids: context.svids.map((svid) => ({
      spiffeId: svid.id.toString(),
      hint: svid.hint,
      notBefore: svid.notBefore.toISOString(),
      notAfter: svid.notAfter.toISOString(),
      certificates: svid.certChain.map((der) => certificatesToPem([der])),
    })),
    bundles: bundlesJson(context.bundles),
  };
}

export function bundlesJson(bundles: BundleSet): Record<string, string[]> {
  return Object.fromEntries([...bundles.values()].map((b) => [b.trustDomain.name, b.authorities.map((der) => certificatesToPem([der]))]));
}

/** Token metadata for `api fetch token --json`: everything but the token itself. */
export function tokenJson(token: ConjurToken, nowMs: number): object {
  return {
    login: token.login,
    spiffeId: token.spiffeId.toString(),
    expiresAt: token.expiresAt.toISOString(),
    expiresInSeconds: Math.max(0, Math.round((token.expiresAt.getTime() - nowMs) / 1000)),
  };
}

function svidLines(svid: X509Svid, bundles: BundleSet): string[] {
  const lines = [`SPIFFE ID:\t\t${svid.id}`];
  if (svid.hint !== '') lines.push(`Hint:\t\t\t${svid.hint}`);
  lines.push(`SVID Valid After:\t${formatTime(svid.notBefore)}`, `SVID Valid Until:\t${formatTime(svid.notAfter)}`);
  svid.certChain.slice(1).forEach((der, i) => {
    const cert = new X509Certificate(der);
    lines.push(`Intermediate #${i + 1} Valid After:\t${formatTime(new Date(cert.validFrom))}`);
    lines.push(`Intermediate #${i + 1} Valid Until:\t${formatTime(new Date(cert.validTo))}`);
  });
  const own = bundles.get(svid.id.trustDomain.name);
  if (own) lines.push(...authorityLines(own, ''));
  for (const bundle of bundles.values()) {
    if (bundle !== own) lines.push(...authorityLines(bundle, `[${bundle.trustDomain}] `));
  }
  return lines;
}

function authorityLines(bundle: X509Bundle, prefix: string): string[] {
  return bundle.authorities.flatMap((der, i) => {
    const cert = new X509Certificate(der);
    return [
      `${prefix}CA #${i + 1} Valid After:\t${formatTime(new Date(cert.validFrom))}`,
      `${prefix}CA #${i + 1} Valid Until:\t${formatTime(new Date(cert.validTo))}`,
    ];
  });
}

function formatTime(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, 'Z');
}
