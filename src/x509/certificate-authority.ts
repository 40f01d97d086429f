import type { KeyObject } from 'node:crypto';
import { issueCertificate } from './issue-certificate.js';
import { generateKeyPair } from './key-pair.js';
import type { KeyType } from './key-pair.js';
import { toPem } from './pem.js';

/** A self-signed root: its certificate and the key that signs with it. Never log `privateKey`. */
export interface CertificateAuthority {
  readonly certDer: Buffer;
  readonly certPem: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyType: KeyType;
}

export interface CertificateAuthorityOptions {
  commonName: string;
  organizationalUnit?: string;
  organization?: string;
  keyType?: KeyType;
  validForMs: number;
  /** Start of validity; defaults to the current time (pass the Clock's time in src/). */
  now?: Date;
  /** A SPIFFE CA may carry its trust domain's ID (`spiffe://td`, no path) as a URI SAN. */
  uriSans?: string[];
}

/** A root CA: basicConstraints cA=true (critical), keyUsage keyCertSign+cRLSign (critical), SKI. */
export function createCertificateAuthority(options: CertificateAuthorityOptions): CertificateAuthority {
  const keyType = options.keyType ?? 'ec-p256';
  const { privateKey, publicKey } = generateKeyPair(keyType);
  const notBefore = options.now ?? new Date();
  const certDer = issueCertificate(
    {
      subject: { commonName: options.commonName, organizationalUnit: options.organizationalUnit, organization: options.organization },
      subjectPublicKey: publicKey,
      notBefore,
      notAfter: new Date(notBefore.getTime() + options.validForMs),
      isCa: true,
      keyUsage: ['keyCertSign', 'cRLSign'],
      uriSans: options.uriSans,
      authorityKeyIdentifier: false,
    },
    { self: privateKey },
  );
  return { certDer, certPem: toPem(certDer, 'CERTIFICATE'), privateKey, publicKey, keyType };
}
