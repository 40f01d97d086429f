import { X509Error } from './x509-error.js';

export type PemLabel = 'CERTIFICATE' | 'CERTIFICATE REQUEST' | 'PRIVATE KEY';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/g;

/** RFC 7468 text: base64 in 64-character lines between BEGIN/END lines, ending with a newline. */
export function toPem(der: Buffer, label: PemLabel): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * The DER of every CERTIFICATE block, in order; text between blocks (comments, other labels)
 * is ignored, as OpenSSL does. Throws when there is no certificate at all.
 */
export function parsePemCertificates(pem: string): Buffer[] {
  const blocks = [...pem.matchAll(CERTIFICATE_BLOCK)].map((m) => Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
  if (blocks.length === 0) throw new X509Error('malformed', 'no PEM certificate found');
  if (blocks.some((b) => b.length === 0)) throw new X509Error('malformed', 'PEM certificate block is empty');
  return blocks;
}
