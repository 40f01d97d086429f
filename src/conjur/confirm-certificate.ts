import { X509Certificate } from 'node:crypto';
import { certificateFacts, parsePemCertificates } from '../x509/index.js';
import type { ConfirmCheck } from './conjur-error.js';

/** What the injected certificate must match: everything we asked Conjur for. */
export interface ConfirmExpectation {
  /** SubjectPublicKeyInfo DER of the key we generated for this issuance. */
  readonly publicKeySpkiDer: Buffer;
  /** The authn-k8s CA certificates (DER); undefined skips the issuer check (agent bootstrap only). */
  readonly authorities: readonly Buffer[] | undefined;
  readonly spiffeId: string;
  /** The full host id in dot form (login with `/` → `.`). */
  readonly commonName: string;
  readonly now: number;
  /** How far Conjur's clock is known to run ahead of ours (ms, ≥ 0): its notBefore is its "now". */
  readonly conjurAheadMs?: number;
}

export type ConfirmResult =
  | { readonly ok: true; readonly leafDer: Buffer; readonly notBefore: Date; readonly notAfter: Date }
  | { readonly ok: false; readonly check: ConfirmCheck; readonly detail: string };

// Conjur sets notBefore = its own "now" without back-dating; tolerate a little clock skew
// between Conjur and this node, plus the skew measured from Conjur's answers. Expiry gets none.
const NOT_BEFORE_SKEW_MS = 60_000;

/**
 * Checks an injected client.pem against design.md §2.2 step 3. Pure: the caller reads the file.
 * The key check runs first because it is what tells "our certificate" from a stale or foreign
 * one; details name the failed check and never carry key material.
 */
export function confirmCertificate(pem: string, expected: ConfirmExpectation): ConfirmResult {
  let ders: Buffer[];
  try {
    ders = parsePemCertificates(pem);
  } catch {
    return fail('parse', 'injected file holds no PEM certificate');
  }
  const [leafDer] = ders;
  if (ders.length !== 1 || leafDer === undefined) return fail('parse', `injected file holds ${ders.length} certificates, expected 1`);
  // The key check comes first and uses the native parser: while waiting, the same stale file may
  // be seen many times, and only a certificate for our key is worth the full (pkijs) parse.
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafDer);
  } catch {
    return fail('parse', 'injected certificate cannot be parsed');
  }
  const spki = leaf.publicKey.export({ type: 'spki', format: 'der' });
  if (!spki.equals(expected.publicKeySpkiDer)) return fail('public-key', 'certificate public key is not the key of this issuance');
  let facts: ReturnType<typeof certificateFacts>;
  try {
    facts = certificateFacts(leafDer);
  } catch {
    return fail('parse', 'injected certificate cannot be parsed');
  }
  if (expected.authorities !== undefined && !issuedByOneOf(leaf, expected.authorities)) {
    return fail('issuer', 'certificate does not verify against the authn-k8s CA');
  }
  if (facts.uriSans.length !== 1 || facts.uriSans[0] !== expected.spiffeId) {
    return fail('spiffe-id', `certificate URI SANs are [${facts.uriSans.join(', ')}], expected ${expected.spiffeId}`);
  }
  if (facts.subjectCommonName !== expected.commonName) {
    return fail('common-name', `certificate CN is ${facts.subjectCommonName}, expected ${expected.commonName}`);
  }
  if (expected.now >= facts.notAfter.getTime() || expected.now + NOT_BEFORE_SKEW_MS + Math.max(0, expected.conjurAheadMs ?? 0) < facts.notBefore.getTime()) {
    return fail('validity', `certificate is valid from ${facts.notBefore.toISOString()} to ${facts.notAfter.toISOString()}`);
  }
  return { ok: true, leafDer, notBefore: facts.notBefore, notAfter: facts.notAfter };
}

/** Whether a certificate (DER) was issued by one of the CA certificates: issuer name and signature. */
export function chainsToOneOf(leafDer: Buffer, authorities: readonly Buffer[]): boolean {
  try {
    return issuedByOneOf(new X509Certificate(leafDer), authorities);
  } catch {
    return false;
  }
}

/** Signature and issuer name both match one of the CA certificates. */
function issuedByOneOf(leaf: X509Certificate, authorities: readonly Buffer[]): boolean {
  return authorities.some((der) => {
    try {
      const ca = new X509Certificate(der);
      return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
    } catch {
      return false;
    }
  });
}

function fail(check: ConfirmCheck, detail: string): ConfirmResult {
  return { ok: false, check, detail };
}
