import { createHash, createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AlgorithmIdentifier, AltName, BasicConstraints, Certificate, Extension, GeneralName, PublicKeyInfo, RelativeDistinguishedNames, Time } from 'pkijs';
import { toPem } from '../../../src/x509/index.js';
import { ConjurDenial } from './http.js';

// The certificates Conjur's authn-k8s CA makes, field for field (protocol §8.2, §8.3). Built with
// pkijs here rather than src/x509's template builder because the profile needs things that
// builder does not model: the CSR subject carried over with only its CN replaced (order kept),
// a 160-bit serial, and extensions in Ruby's order (keyUsage, SKI, SAN) without AKI.

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const COMMON_NAME = '2.5.4.3';
const DAY_MS = 24 * 60 * 60 * 1000;
/** Conjur's fixed client-certificate lifetime. */
export const CLIENT_CERT_VALIDITY_MS = 3 * DAY_MS;

export interface ClientCertRequest {
  /** The CSR subject; its first CN is replaced by `commonName` (or one is appended). */
  readonly subject: RelativeDistinguishedNames;
  readonly commonName: string;
  readonly spkiDer: Buffer;
  /** The SPIFFE URI, copied as the only SAN. */
  readonly sanUri: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Signs a client certificate with the CA read from Conjur's variables; the CA key must be RSA. */
export function issueClientCertificate(request: ClientCertRequest, ca: { certPem: string; keyPem: string }): Buffer {
  let caKey: KeyObject;
  try {
    caKey = createPrivateKey(ca.keyPem);
  } catch (cause) {
    throw new ConjurDenial('CONJ00000E', `ca key cannot be read: ${String(cause)}`);
  }
  if (caKey.asymmetricKeyType !== 'rsa') throw new ConjurDenial('CONJ00000E', 'ca key is not an RSA key');
  return buildCertificate({
    subject: withCommonName(request.subject, request.commonName),
    issuer: issuerNameOf(ca.certPem),
    spkiDer: request.spkiDer,
    notBefore: request.notBefore,
    notAfter: request.notAfter,
    extensions: [
      keyUsage(0xa0, 5), // digitalSignature, keyEncipherment
      subjectKeyIdentifier(request.spkiDer),
      new Extension({ extnID: '2.5.29.17', critical: false, extnValue: new AltName({ altNames: [new GeneralName({ type: 6, value: request.sanUri })] }).toSchema().toBER(false) }),
    ],
    signer: caKey,
  });
}

/**
 * `rake authn_k8s:ca_init`: self-signed, 10 years, CA:TRUE and keyCertSign (both critical), SKI,
 * AKI. Valid from a minute before the earlier of the test clock and real time to 10 years after
 * the later one, so a fake clock in the past or future still sees a valid CA.
 */
export function createConjurCa(account: string, serviceId: string, privateKey: KeyObject, clockNowMs: number): { certPem: string; keyPem: string } {
  const spkiDer = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const subject = nameOf([
    [COMMON_NAME, `${account}:webservice:conjur.authn-k8s.${serviceId}`],
    ['2.5.4.11', 'Conjur Kubernetes CA'],
    ['2.5.4.10', account],
  ]);
  const der = buildCertificate({
    subject,
    issuer: subject,
    spkiDer,
    notBefore: new Date(Math.min(clockNowMs, Date.now()) - 60_000),
    notAfter: new Date(Math.max(clockNowMs, Date.now()) + 3652 * DAY_MS),
    extensions: [
      new Extension({ extnID: '2.5.29.19', critical: true, extnValue: new BasicConstraints({ cA: true }).toSchema().toBER(false) }),
      keyUsage(0x04, 2), // keyCertSign
      subjectKeyIdentifier(spkiDer),
      authorityKeyIdentifier(spkiDer),
    ],
    signer: privateKey,
  });
  return { certPem: toPem(der, 'CERTIFICATE'), keyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() };
}

const issuerNames = new Map<string, RelativeDistinguishedNames>();

/** The CA's subject, parsed once per CA (pkijs takes tens of milliseconds per certificate). */
function issuerNameOf(certPem: string): RelativeDistinguishedNames {
  let name = issuerNames.get(certPem);
  if (!name) {
    name = Certificate.fromBER(Buffer.from(certPem.replace(/-----[^-]+-----|\s+/g, ''), 'base64')).subject;
    issuerNames.set(certPem, name);
  }
  return name;
}

interface CertificateParts {
  subject: RelativeDistinguishedNames;
  issuer: RelativeDistinguishedNames;
  spkiDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  extensions: Extension[];
  signer: KeyObject;
}

function buildCertificate(parts: CertificateParts): Buffer {
  const algorithm = () => new AlgorithmIdentifier({ algorithmId: SHA256_WITH_RSA, algorithmParams: new asn1js.Null() });
  const cert = new Certificate({
    version: 2,
    serialNumber: new asn1js.Integer({ valueHex: randomSerial() }),
    signature: algorithm(),
    issuer: parts.issuer,
    subject: parts.subject,
    notBefore: timeOf(parts.notBefore),
    notAfter: timeOf(parts.notAfter),
    subjectPublicKeyInfo: PublicKeyInfo.fromBER(parts.spkiDer),
    extensions: parts.extensions,
  });
  cert.signatureAlgorithm = algorithm();
  cert.signatureValue = new asn1js.BitString({ valueHex: sign('sha256', new Uint8Array(cert.encodeTBS().toBER(false)), parts.signer) });
  return Buffer.from(cert.toSchema(true).toBER(false));
}

/** A copy of `subject` with its first CN set to `cn` (UTF8String), other RDNs as they were. */
function withCommonName(subject: RelativeDistinguishedNames, cn: string): RelativeDistinguishedNames {
  const parsed = asn1js.fromBER(subject.toSchema().toBER(false)).result as asn1js.Sequence;
  let replaced = false;
  const rdns = parsed.valueBlock.value.map((set) => {
    const atvs = (set as asn1js.Set).valueBlock.value.map((atv) => {
      const type = (atv as asn1js.Sequence).valueBlock.value[0] as asn1js.ObjectIdentifier;
      if (replaced || type.valueBlock.toString() !== COMMON_NAME) return atv;
      replaced = true;
      return attribute(COMMON_NAME, cn);
    });
    return new asn1js.Set({ value: atvs });
  });
  if (!replaced) rdns.push(new asn1js.Set({ value: [attribute(COMMON_NAME, cn)] }));
  return RelativeDistinguishedNames.fromBER(new asn1js.Sequence({ value: rdns }).toBER(false));
}

function nameOf(entries: [string, string][]): RelativeDistinguishedNames {
  const rdns = entries.map(([oid, value]) => new asn1js.Set({ value: [attribute(oid, value)] }));
  return RelativeDistinguishedNames.fromBER(new asn1js.Sequence({ value: rdns }).toBER(false));
}

function attribute(oid: string, value: string): asn1js.Sequence {
  return new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: oid }), new asn1js.Utf8String({ value })] });
}

function keyUsage(bits: number, unusedBits: number): Extension {
  return new Extension({ extnID: '2.5.29.15', critical: true, extnValue: new asn1js.BitString({ valueHex: Uint8Array.of(bits), unusedBits }).toBER(false) });
}

/** OpenSSL's `hash` key identifier: SHA-1 of the subjectPublicKey bits. */
function keyIdOf(spkiDer: Buffer): Buffer {
  return createHash('sha1').update(PublicKeyInfo.fromBER(spkiDer).subjectPublicKey.valueBlock.valueHexView).digest();
}

function subjectKeyIdentifier(spkiDer: Buffer): Extension {
  return new Extension({ extnID: '2.5.29.14', critical: false, extnValue: new asn1js.OctetString({ valueHex: keyIdOf(spkiDer) }).toBER(false) });
}

function authorityKeyIdentifier(spkiDer: Buffer): Extension {
  const keyId = new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: keyIdOf(spkiDer) });
  return new Extension({ extnID: '2.5.29.35', critical: false, extnValue: new asn1js.Sequence({ value: [keyId] }).toBER(false) });
}

/** A random integer below 2^160, DER-minimal and positive. */
function randomSerial(): Buffer {
  let bytes = randomBytes(20);
  while (bytes.length > 1 && bytes[0] === 0) bytes = bytes.subarray(1);
  return (bytes[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.of(0), bytes]) : bytes;
}

/** UTCTime through 2049, GeneralizedTime after; whole seconds as X.509 carries them. */
function timeOf(date: Date): Time {
  const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return new Time({ type: whole.getUTCFullYear() < 2050 ? 0 : 1, value: whole });
}
