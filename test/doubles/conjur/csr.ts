import * as asn1js from 'asn1js';
import type { X509Certificate } from 'node:crypto';
import { AltName, CertificationRequest, Extensions, RelativeDistinguishedNames } from 'pkijs';
import type { GeneralName } from 'pkijs';
import { ConjurDenial } from './http.js';

// Reading CSRs and client certificates the way Conjur's SmartCsr/SmartCert do (protocol §3.3,
// §4.1, §8.1): PEM (`CERTIFICATE REQUEST` or `NEW CERTIFICATE REQUEST`) or DER, the signature is
// never checked, the SAN is the *whole* subjectAltName rendered as OpenSSL prints it
// (`URI:…, DNS:…`), and the SPIFFE URI is parsed by position only.

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const SUBJECT_ALT_NAME = '2.5.29.17';
const COMMON_NAME = '2.5.4.3';

export interface ParsedCsr {
  readonly subject: RelativeDistinguishedNames;
  readonly spkiDer: Buffer;
  /** undefined when the CSR has no extReq attribute (CONJ00022E). */
  readonly extensionRequest: Extensions | undefined;
}

export interface PodRef {
  readonly namespace: string;
  readonly podName: string;
}

export function parseCsr(body: Buffer): ParsedCsr {
  const text = body.toString('latin1');
  const pem = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([\s\S]*?)-----END (?:NEW )?CERTIFICATE REQUEST-----/.exec(text);
  const der = pem ? Buffer.from(pem[1]!.replace(/\s+/g, ''), 'base64') : body;
  let csr: CertificationRequest;
  try {
    csr = CertificationRequest.fromBER(der);
  } catch (cause) {
    throw new ConjurDenial('CONJ00000E', `csr cannot be parsed: ${String(cause)}`);
  }
  const attribute = csr.attributes?.find((a) => a.type === EXTENSION_REQUEST);
  const first = attribute?.values[0] as asn1js.Sequence | undefined;
  return {
    subject: csr.subject,
    spkiDer: Buffer.from(csr.subjectPublicKeyInfo.toSchema().toBER(false)),
    extensionRequest: first ? new Extensions({ schema: first }) : undefined,
  };
}

/** The SAN text of a CSR's extReq (`undefined` if there is no SAN extension). */
export function csrSanText(csr: ParsedCsr): string | undefined {
  const san = csr.extensionRequest?.extensions.find((e) => e.extnID === SUBJECT_ALT_NAME);
  return san ? sanText(san.extnValue.valueBlock.valueHexView) : undefined;
}

/**
 * A certificate's CN and SAN text, from node:crypto (OpenSSL's own rendering, `URI:…, DNS:…`);
 * pkijs parsing costs tens of milliseconds a certificate, too much for every authenticate.
 */
export function certificateNames(x509: X509Certificate): { commonName: string | undefined; san: string | undefined } {
  return { commonName: /^CN=(.*)$/m.exec(x509.subject)?.[1], san: x509.subjectAltName };
}

export function commonNameOf(name: RelativeDistinguishedNames): string | undefined {
  const cn = name.typesAndValues.find((t) => t.type === COMMON_NAME);
  return cn ? String(cn.value.valueBlock.value) : undefined;
}

/** OpenSSL's rendering of GeneralNames, joined by ", " as Ruby's `ext.value` shows it. */
function sanText(extnValue: Uint8Array): string {
  const parsed = asn1js.fromBER(extnValue);
  if (parsed.offset === -1) return '';
  return new AltName({ schema: parsed.result }).altNames.map(renderName).join(', ');
}

function renderName(name: GeneralName): string {
  const value = name.value as unknown;
  switch (name.type) {
    case 1:
      return `email:${String(value)}`;
    case 2:
      return `DNS:${String(value)}`;
    case 6:
      return `URI:${String(value)}`;
    case 7:
      return `IP Address:${[...(value as asn1js.OctetString).valueBlock.valueHexView].join('.')}`;
    default:
      return `othername:<unsupported>`;
  }
}

/**
 * Conjur's SpiffeId: strip one leading `URI:` (any case), parse as a URI, split the path on `/`
 * (Ruby drops trailing empty fields): namespace = element 2, pod = the last element. Trust domain
 * and the words `namespace`/`podname` are not checked. Several SAN entries (`URI:a, DNS:b`) are
 * not a URI (a space), and an opaque URI has no path: both fail, like Ruby's NoMethodError.
 */
export function podRefOfSan(san: string): PodRef | undefined {
  const uri = san.replace(/^uri:/i, '');
  const hierarchical = /^[A-Za-z][A-Za-z0-9+.-]*:(?:\/\/[^/?#\s]*)?(\/[^?#\s]*)?(?:[?#]\S*)?$/.exec(uri);
  if (!hierarchical || /\s/.test(uri)) return undefined;
  const parts = (hierarchical[1] ?? '').split('/');
  while (parts.length > 0 && parts.at(-1) === '') parts.pop();
  const namespace = parts[2];
  const podName = parts.at(-1);
  return namespace && podName ? { namespace, podName } : undefined;
}
