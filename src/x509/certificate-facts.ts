import { X509Certificate } from 'node:crypto';
import { Certificate } from 'pkijs';
import type { Extension } from 'pkijs';
import { commonNameOf } from './distinguished-name.js';
import { OID, decodeKeyUsage, decodeSubjectAltNames } from './extensions.js';
import type { ExtKeyUsage, KeyUsage } from './extensions.js';
import { toSpkiDer } from './key-pair.js';
import { X509Error } from './x509-error.js';

/** What the agent checks in a certificate, as plain values. */
export interface CertificateFacts {
  readonly subjectCommonName: string;
  readonly uriSans: string[];
  readonly dnsNames: string[];
  readonly ipAddresses: string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** basicConstraints cA=true; false when the extension is absent. */
  readonly isCa: boolean;
  readonly keyUsage: KeyUsage[];
  /** Whether keyUsage is present and critical (X509-SVID §4.3 requires it). */
  readonly keyUsageCritical: boolean;
  /** Known purposes only; empty when the extension is absent. */
  readonly extKeyUsage: ExtKeyUsage[];
  readonly publicKeySpkiDer: Buffer;
}

/**
 * Reads a DER certificate. node:crypto parses it (and so rejects what OpenSSL rejects) and gives
 * dates, the CA flag, the public key and EKU; key usage bits, exact SAN entries and the CN come
 * from the one place that decodes extensions.
 */
export function certificateFacts(der: Buffer): CertificateFacts {
  const x509 = parseCertificateDer(der);
  const certificate = Certificate.fromBER(der);
  const extensions = certificate.extensions ?? [];
  const san = find(extensions, OID.subjectAltName);
  const names = san ? decodeSubjectAltNames(valueOf(san)) : { uris: [], dnsNames: [], ipAddresses: [] };
  const keyUsage = find(extensions, OID.keyUsage);
  return {
    subjectCommonName: commonNameOf(certificate.subject),
    uriSans: [...names.uris],
    dnsNames: [...names.dnsNames],
    ipAddresses: [...names.ipAddresses],
    notBefore: parseDate(x509.validFrom),
    notAfter: parseDate(x509.validTo),
    isCa: x509.ca,
    keyUsage: keyUsage ? decodeKeyUsage(valueOf(keyUsage)) : [],
    keyUsageCritical: keyUsage?.critical ?? false,
    extKeyUsage: extKeyUsageOf(x509),
    publicKeySpkiDer: toSpkiDer(x509.publicKey),
  };
}

/**
 * Only checks that `der` is a certificate OpenSSL accepts, in about 0.1 ms: where no fact is
 * needed (a CA bundle, a configured CA file), the ASN.1 decoding above costs 5 ms a certificate
 * and about 50 ms the first time, in the agent's start-up (issue 14).
 */
export function parseCertificateDer(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (cause) {
    throw new X509Error('malformed', 'certificate is not DER X.509', { cause });
  }
}

function find(extensions: Extension[], oid: string): Extension | undefined {
  return extensions.find((e) => e.extnID === oid);
}

function valueOf(extension: Extension): Uint8Array {
  return extension.extnValue.valueBlock.valueHexView;
}

function extKeyUsageOf(x509: X509Certificate): ExtKeyUsage[] {
  // node:crypto names this EKU list `keyUsage`; it is undefined when the extension is absent.
  const oids = x509.keyUsage ?? [];
  return (['serverAuth', 'clientAuth'] as const).filter((usage) => oids.includes(OID[usage]));
}

/** OpenSSL's `Mar  1 12:00:00 2025 GMT` form (Node 20 has no validToDate). */
function parseDate(text: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new X509Error('malformed', `certificate date ${text} cannot be read`);
  return date;
}
