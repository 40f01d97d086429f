import { randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { Certificate, RelativeDistinguishedNames, Time } from 'pkijs';
import type { Extension } from 'pkijs';
import { toRdn } from './distinguished-name.js';
import type { DistinguishedName } from './distinguished-name.js';
import {
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  extKeyUsageExtension,
  keyUsageExtension,
  subjectAltNameExtension,
  subjectKeyIdentifierExtension,
} from './extensions.js';
import type { ExtKeyUsage, KeyUsage } from './extensions.js';
import { keyIdentifierOf, publicKeyInfoOf, signBytes, signatureAlgorithmFor } from './signing.js';

/** Who signs: a CA's certificate (for the issuer name and AKI) and its private key. */
export interface Signer {
  readonly certDer: Buffer;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/**
 * Everything a certificate says. Optional extensions are omitted when not given, so profiles
 * like Conjur's (no basicConstraints, no EKU) can be reproduced exactly.
 */
export interface CertificateTemplate {
  readonly subject: DistinguishedName;
  readonly subjectPublicKey: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** undefined: no basicConstraints extension; otherwise a critical one with this cA flag. */
  readonly isCa?: boolean;
  readonly pathLength?: number;
  /** Always written as a critical extension, as X509-SVID §4.3 requires. */
  readonly keyUsage: readonly KeyUsage[];
  readonly extKeyUsage?: readonly ExtKeyUsage[];
  readonly uriSans?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** Defaults to 16 random bytes (positive, within RFC 5280's 20-octet limit). */
  readonly serialNumber?: Buffer;
  /** Defaults to true; Conjur's leaf profile has none. */
  readonly authorityKeyIdentifier?: boolean;
}

/** Builds and signs a v3 certificate; `signer` 'self' makes it self-signed by the subject key. */
export function issueCertificate(template: CertificateTemplate, signer: Signer | { self: KeyObject }): Buffer {
  const issuerKey = 'self' in signer ? signer.self : signer.privateKey;
  const issuerPublicKey = 'self' in signer ? template.subjectPublicKey : signer.publicKey;
  const subject = toRdn(template.subject);
  const cert = new Certificate({
    version: 2,
    serialNumber: new asn1js.Integer({ valueHex: template.serialNumber ?? randomSerial() }),
    issuer: 'self' in signer ? subject : issuerNameOf(signer.certDer),
    subject,
    notBefore: timeOf(template.notBefore),
    notAfter: timeOf(template.notAfter),
    subjectPublicKeyInfo: publicKeyInfoOf(template.subjectPublicKey),
    extensions: extensionsOf(template, issuerPublicKey),
  });
  cert.signature = signatureAlgorithmFor(issuerKey);
  cert.signatureAlgorithm = signatureAlgorithmFor(issuerKey);
  cert.signatureValue = signBytes(issuerKey, new Uint8Array(cert.encodeTBS().toBER(false)));
  return Buffer.from(cert.toSchema(true).toBER(false));
}

function extensionsOf(t: CertificateTemplate, issuerPublicKey: KeyObject): Extension[] {
  const sans = { uris: t.uriSans ?? [], dnsNames: t.dnsNames ?? [], ipAddresses: t.ipAddresses ?? [] };
  const hasSans = sans.uris.length + sans.dnsNames.length + sans.ipAddresses.length > 0;
  return [
    ...(t.isCa === undefined ? [] : [basicConstraintsExtension(t.isCa, t.pathLength)]),
    keyUsageExtension(t.keyUsage),
    ...(t.extKeyUsage && t.extKeyUsage.length > 0 ? [extKeyUsageExtension(t.extKeyUsage)] : []),
    subjectKeyIdentifierExtension(keyIdentifierOf(t.subjectPublicKey)),
    ...(t.authorityKeyIdentifier === false ? [] : [authorityKeyIdentifierExtension(keyIdentifierOf(issuerPublicKey))]),
    ...(hasSans ? [subjectAltNameExtension(sans)] : []),
  ];
}

/** The issuer name is copied byte for byte from the CA certificate, so chain building matches it. */
function issuerNameOf(caDer: Buffer): RelativeDistinguishedNames {
  return Certificate.fromBER(caDer).subject;
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function timeOf(date: Date): Time {
  return new Time({ type: date.getUTCFullYear() < 2050 ? 0 : 1, value: date });
}

function randomSerial(): Buffer {
  const serial = randomBytes(16);
  // Positive and without a leading zero byte, so the DER INTEGER is minimal as encoded.
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  return serial;
}
