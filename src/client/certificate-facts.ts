import { X509Certificate } from 'node:crypto';
import { SpiffeId } from '../spiffe/index.js';

/**
 * What the client reads from certificates, with node:crypto only: the client library must not
 * pull in the agent's ASN.1 stack. Throws plain Errors; callers wrap them in their own type.
 */
export function readCertificate(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (error) {
    throw new Error('certificate is not valid DER X.509', { cause: error });
  }
}

/** The SPIFFE ID in the certificate's single URI SAN (X509-SVID §2: more than one is invalid). */
export function spiffeIdOf(certificate: X509Certificate): SpiffeId {
  const uris = subjectAltNames(certificate.subjectAltName ?? '')
    .filter((name) => name.type === 'URI')
    .map((name) => name.value);
  if (uris.length !== 1) throw new Error(`certificate must have exactly one URI SAN, found ${uris.length}`);
  return SpiffeId.parse(uris[0]!);
}

export function validityOf(certificate: X509Certificate): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(certificate.validFrom), notAfter: new Date(certificate.validTo) };
}

export function isValidAt(certificate: X509Certificate, now: Date): boolean {
  const { notBefore, notAfter } = validityOf(certificate);
  return notBefore.getTime() <= now.getTime() && now.getTime() <= notAfter.getTime();
}

interface GeneralName {
  type: string;
  value: string;
}

/**
 * Parses Node's `subjectAltName` text: `TYPE:value` entries joined by ", ", where a value holding
 * special characters is JSON-quoted (Node escapes commas inside it). Splitting naively would let
 * a crafted DNS name smuggle in an extra "URI:" entry, so quoted values are decoded as JSON.
 */
function subjectAltNames(text: string): GeneralName[] {
  const names: GeneralName[] = [];
  let rest = text;
  while (rest !== '') {
    const colon = rest.indexOf(':');
    if (colon < 0) throw new Error('certificate subjectAltName is malformed');
    const type = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
    let value: string;
    if (rest.startsWith('"')) {
      const end = closingQuote(rest);
      value = JSON.parse(rest.slice(0, end + 1)) as string;
      rest = rest.slice(end + 1);
    } else {
      const comma = rest.indexOf(', ');
      value = comma < 0 ? rest : rest.slice(0, comma);
      rest = comma < 0 ? '' : rest.slice(comma);
    }
    names.push({ type, value });
    if (rest.startsWith(', ')) rest = rest.slice(2);
    else if (rest !== '') throw new Error('certificate subjectAltName is malformed');
  }
  return names;
}

function closingQuote(text: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  throw new Error('certificate subjectAltName has an unterminated quoted value');
}
