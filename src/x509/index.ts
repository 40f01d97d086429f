// Keys, CSRs, certificates, PEM/DER and certificate facts. The only folder that imports the
// ASN.1 library (pkijs/asn1js); everything it returns is node:crypto KeyObjects, Buffers and
// plain values. It never logs and never holds keys beyond the call.
export { X509Error } from './x509-error.js';
export type { X509ErrorCode } from './x509-error.js';
export { generateKeyPair, toPkcs8Der, toSpkiDer } from './key-pair.js';
export type { KeyType, KeyPair } from './key-pair.js';
export { toPem, parsePemCertificates } from './pem.js';
export type { PemLabel } from './pem.js';
export { createCsr, csrFacts } from './csr.js';
export type { CsrOptions, CsrFacts } from './csr.js';
export { certificateFacts, parseCertificateDer } from './certificate-facts.js';
export type { CertificateFacts } from './certificate-facts.js';
export { KEY_USAGE_BITS } from './extensions.js';
export type { KeyUsage, ExtKeyUsage, SubjectAltNames } from './extensions.js';
export type { DistinguishedName } from './distinguished-name.js';
export { issueCertificate } from './issue-certificate.js';
export type { CertificateTemplate, Signer } from './issue-certificate.js';
export { createCertificateAuthority } from './certificate-authority.js';
export type { CertificateAuthority, CertificateAuthorityOptions } from './certificate-authority.js';
