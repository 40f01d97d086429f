import { createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { Attribute, CertificationRequest, Extensions } from 'pkijs';
import { commonNameOf, toRdn } from './distinguished-name.js';
import { OID, decodeSubjectAltNames, subjectAltNameExtension } from './extensions.js';
import { publicKeyInfoOf, signBytes, signatureAlgorithmFor } from './signing.js';
import { X509Error } from './x509-error.js';

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

export interface CsrOptions {
  privateKey: KeyObject;
  publicKey: KeyObject;
  commonName: string;
  uriSan: string;
}

/**
 * A DER PKCS#10 request: subject CN only, and an extensionRequest attribute holding one
 * non-critical subjectAltName with exactly one URI. Conjur reads "the SAN" as the whole
 * extension value, so a second name of any kind would make it reject the request.
 */
export async function createCsr(options: CsrOptions): Promise<Buffer> {
  const extensions = new Extensions({ extensions: [subjectAltNameExtension({ uris: [options.uriSan] })] });
  const csr = new CertificationRequest({
    version: 0,
    subject: toRdn({ commonName: options.commonName }),
    subjectPublicKeyInfo: publicKeyInfoOf(options.publicKey),
    attributes: [new Attribute({ type: EXTENSION_REQUEST, values: [extensions.toSchema()] })],
  });
  csr.signatureAlgorithm = signatureAlgorithmFor(options.privateKey);
  csr.signatureValue = signBytes(options.privateKey, tbsOf(csr));
  return Buffer.from(csr.toSchema(true).toBER(false));
}

export interface CsrFacts {
  readonly commonName: string;
  readonly uriSans: readonly string[];
  readonly dnsNames: readonly string[];
  readonly publicKeySpkiDer: Buffer;
  /** Whether the request is signed by the key it carries (Conjur itself never checks this). */
  readonly signatureValid: boolean;
}

/** What a signer needs from a request: for the Conjur double and for tests. */
export function csrFacts(der: Buffer): CsrFacts {
  const csr = parseCsr(der);
  const publicKeySpkiDer = Buffer.from(csr.subjectPublicKeyInfo.toSchema().toBER(false));
  const san = requestedExtensions(csr).find((e) => e.extnID === OID.subjectAltName);
  const names = san ? decodeSubjectAltNames(san.extnValue.valueBlock.valueHexView) : { uris: [], dnsNames: [] };
  const publicKey = createPublicKey({ key: publicKeySpkiDer, format: 'der', type: 'spki' });
  const signature = csr.signatureValue.valueBlock.valueHexView;
  return {
    commonName: commonNameOf(csr.subject),
    uriSans: names.uris,
    dnsNames: names.dnsNames,
    publicKeySpkiDer,
    signatureValid: verify('sha256', tbsOf(csr), publicKey, signature),
  };
}

function parseCsr(der: Buffer): CertificationRequest {
  try {
    return CertificationRequest.fromBER(der);
  } catch (cause) {
    throw new X509Error('malformed', 'certificate request is not DER PKCS#10', { cause });
  }
}

function requestedExtensions(csr: CertificationRequest): Extensions['extensions'] {
  const attribute = csr.attributes?.find((a) => a.type === EXTENSION_REQUEST);
  const first = attribute?.values[0] as asn1js.Sequence | undefined;
  return first ? new Extensions({ schema: first }).extensions : [];
}

/** The to-be-signed part, re-encoded; pkijs' encoding is deterministic, so it matches what was signed. */
function tbsOf(csr: CertificationRequest): Uint8Array {
  if (csr.tbsView.byteLength > 0) return csr.tbsView;
  const [tbs] = csr.toSchema(true).valueBlock.value;
  return new Uint8Array(tbs!.toBER(false));
}
