import { createCertificateAuthority, generateKeyPair, issueCertificate, toPem, toPkcs8Der } from '../../src/x509/index.js';
import type { CertificateAuthority, CertificateTemplate } from '../../src/x509/index.js';

// Real certificates for tests, made fresh per run (never checked-in PEMs that expire).
// Leaf keys are always EC P-256: fast; only the CA key type is selectable.

export interface IssuedCert {
  certPem: string;
  keyPem: string;
  certDer: Buffer;
  /** PKCS#8 DER */
  keyDer: Buffer;
}

/**
 * Validity for issued certificates: notAfter = now + validForMs (default one day; negative gives
 * an already expired certificate); notBefore defaults to a minute before now (or before notAfter,
 * whichever is earlier) so small clock differences do not matter.
 */
export interface ValidityOptions {
  validForMs?: number;
  notBefore?: Date;
}

export interface TestCa {
  certPem: string;
  certDer: Buffer;
  keyPem: string;
  /** The CA itself, for code that signs with it (e.g. a double that issues client certificates). */
  authority: CertificateAuthority;
  /** Default DNS localhost and IP 127.0.0.1; EKU serverAuth. */
  issueServerCert(opts?: { dnsNames?: string[]; ipAddresses?: string[] } & ValidityOptions): Promise<IssuedCert>;
  /** CN and URI SANs as given; EKU clientAuth. */
  issueClientCert(opts: { commonName: string; uriSans?: string[] } & ValidityOptions): Promise<IssuedCert>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const SKEW_MS = 60_000;

export async function createTestCa(opts: { commonName?: string; keyType?: 'ec-p256' | 'rsa-2048' } = {}): Promise<TestCa> {
  const authority = createCertificateAuthority({
    commonName: opts.commonName ?? 'conjur-spiffe-agent test CA',
    keyType: opts.keyType ?? 'ec-p256',
    validForMs: 30 * DAY_MS,
    now: new Date(Date.now() - SKEW_MS),
  });
  const issue = (template: Omit<CertificateTemplate, 'subjectPublicKey' | 'notBefore' | 'notAfter'>, validity: ValidityOptions) =>
    issueLeaf(authority, template, validity);
  return {
    certPem: authority.certPem,
    certDer: authority.certDer,
    keyPem: authority.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    authority,
    async issueServerCert(o = {}) {
      return issue(
        {
          subject: { commonName: o.dnsNames?.[0] ?? 'localhost' },
          isCa: false,
          keyUsage: ['digitalSignature', 'keyEncipherment'],
          extKeyUsage: ['serverAuth'],
          dnsNames: o.dnsNames ?? ['localhost'],
          ipAddresses: o.ipAddresses ?? ['127.0.0.1'],
        },
        o,
      );
    },
    async issueClientCert(o) {
      return issue(
        {
          subject: { commonName: o.commonName },
          isCa: false,
          keyUsage: ['digitalSignature', 'keyEncipherment'],
          extKeyUsage: ['clientAuth'],
          uriSans: o.uriSans ?? [],
        },
        o,
      );
    },
  };
}

function issueLeaf(
  authority: CertificateAuthority,
  template: Omit<CertificateTemplate, 'subjectPublicKey' | 'notBefore' | 'notAfter'>,
  validity: ValidityOptions,
): IssuedCert {
  const now = Date.now();
  const notAfter = new Date(now + (validity.validForMs ?? DAY_MS));
  const notBefore = validity.notBefore ?? new Date(Math.min(now, notAfter.getTime()) - SKEW_MS);
  const { privateKey, publicKey } = generateKeyPair('ec-p256');
  const certDer = issueCertificate({ ...template, subjectPublicKey: publicKey, notBefore, notAfter }, authority);
  const keyDer = toPkcs8Der(privateKey);
  return { certDer, certPem: toPem(certDer, 'CERTIFICATE'), keyDer, keyPem: toPem(keyDer, 'PRIVATE KEY') };
}
