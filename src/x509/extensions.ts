import { isIPv4, isIPv6 } from 'node:net';
import * as asn1js from 'asn1js';
import { AltName, BasicConstraints, ExtKeyUsage as PkiExtKeyUsage, Extension, GeneralName } from 'pkijs';
import { X509Error } from './x509-error.js';

// pkijs has no helpers for key usage bits or for reading SANs back, and node:crypto exposes
// neither exactly (it gives SANs as one escaped string and no key usage bits at all). This is
// the one module that encodes and decodes them, so every other file speaks plain values.

export const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** RFC 5280 §4.2.1.3 bit names, in bit order (bit 0 is digitalSignature). */
export const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsage = (typeof KEY_USAGE_BITS)[number];
export type ExtKeyUsage = 'serverAuth' | 'clientAuth';

/** Subject alternative names by kind; IP addresses as text (IPv6 uncompressed when read back). */
export interface SubjectAltNames {
  readonly uris: readonly string[];
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

const GN_DNS = 2;
const GN_URI = 6;
const GN_IP = 7;

/** DER BIT STRING for the named bits; trailing zero bits are dropped, as DER requires. */
export function encodeKeyUsage(usages: readonly KeyUsage[]): asn1js.BitString {
  const bits = usages.map((u) => KEY_USAGE_BITS.indexOf(u));
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.ceil((highest + 1) / 8));
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  return new asn1js.BitString({ valueHex: bytes, unusedBits: bytes.length * 8 - (highest + 1) });
}

export function decodeKeyUsage(extnValue: Uint8Array): KeyUsage[] {
  const parsed = asn1js.fromBER(extnValue);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.BitString)) {
    throw new X509Error('malformed', 'key usage extension is not a bit string');
  }
  const bytes = parsed.result.valueBlock.valueHexView;
  return KEY_USAGE_BITS.filter((_, bit) => ((bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0);
}

export function keyUsageExtension(usages: readonly KeyUsage[]): Extension {
  return extension(OID.keyUsage, true, encodeKeyUsage(usages));
}

export function basicConstraintsExtension(isCa: boolean, pathLength?: number): Extension {
  const value = new BasicConstraints(pathLength === undefined ? { cA: isCa } : { cA: isCa, pathLenConstraint: pathLength });
  return extension(OID.basicConstraints, true, value.toSchema());
}

export function extKeyUsageExtension(usages: readonly ExtKeyUsage[]): Extension {
  return extension(OID.extKeyUsage, false, new PkiExtKeyUsage({ keyPurposes: usages.map((u) => OID[u]) }).toSchema());
}

/** Non-critical: every certificate we build has a subject CN (X509-SVID §2 allows that). */
export function subjectAltNameExtension(names: Partial<SubjectAltNames>): Extension {
  const altNames = [
    ...(names.uris ?? []).map((value) => new GeneralName({ type: GN_URI, value })),
    ...(names.dnsNames ?? []).map((value) => new GeneralName({ type: GN_DNS, value })),
    ...(names.ipAddresses ?? []).map((ip) => new GeneralName({ type: GN_IP, value: new asn1js.OctetString({ valueHex: ipToBytes(ip) }) })),
  ];
  return extension(OID.subjectAltName, false, new AltName({ altNames }).toSchema());
}

/** SKI/AKI let OpenSSL and browsers pick the right issuer; Go and go-spiffe do not need them. */
export function subjectKeyIdentifierExtension(keyId: Buffer): Extension {
  return extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: keyId }));
}

/** AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING, ... } */
export function authorityKeyIdentifierExtension(keyId: Buffer): Extension {
  const tagged = new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: keyId });
  return extension(OID.authorityKeyIdentifier, false, new asn1js.Sequence({ value: [tagged] }));
}

export function decodeSubjectAltNames(extnValue: Uint8Array): SubjectAltNames {
  const parsed = asn1js.fromBER(extnValue);
  if (parsed.offset === -1) throw new X509Error('malformed', 'subject alternative name extension is not DER');
  const names = new AltName({ schema: parsed.result }).altNames;
  const valuesOf = (type: number) => names.filter((n) => n.type === type).map((n) => n.value as unknown);
  return {
    uris: valuesOf(GN_URI).map(String),
    dnsNames: valuesOf(GN_DNS).map(String),
    ipAddresses: valuesOf(GN_IP).map((v) => bytesToIp((v as asn1js.OctetString).valueBlock.valueHexView)),
  };
}

function extension(extnID: string, critical: boolean, value: asn1js.BaseBlock): Extension {
  return new Extension({ extnID, critical, extnValue: value.toBER(false) });
}

function ipToBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map(Number));
  if (!isIPv6(ip) || ip.includes('.')) throw new X509Error('malformed', `ip address ${ip} is not supported`);
  const [head = '', tail = ''] = ip.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const fill = ip.includes('::') ? 8 - groups(head).length - groups(tail).length : 0;
  const all = [...groups(head), ...Array<string>(fill).fill('0'), ...groups(tail)];
  return Uint8Array.from(all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < bytes.length; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}
