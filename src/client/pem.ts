/**
 * PEM text for what a workload writes to disk or hands to node:tls (RFC 7468: base64 in
 * 64-character lines). Private keys stay PKCS#8, as the Workload API delivers them.
 */
export function certificatesToPem(ders: readonly Buffer[]): string {
  return ders.map((der) => toPem(der, 'CERTIFICATE')).join('');
}

export function privateKeyToPem(pkcs8Der: Buffer): string {
  return toPem(pkcs8Der, 'PRIVATE KEY');
}

function toPem(der: Buffer, label: 'CERTIFICATE' | 'PRIVATE KEY'): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
