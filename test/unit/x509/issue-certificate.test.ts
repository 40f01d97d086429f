import { X509Certificate, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  certificateFacts,
  createCertificateAuthority,
  generateKeyPair,
  issueCertificate,
  toSpkiDer,
} from '../../../src/x509/index.js';
import type { KeyType } from '../../../src/x509/index.js';

const NOW = new Date('2030-01-02T03:04:05Z');
const HOUR_MS = 60 * 60 * 1000;

describe('createCertificateAuthority', () => {
  for (const keyType of ['ec-p256', 'rsa-2048'] as KeyType[]) {
    it(`makes a self-signed ${keyType} root that node:crypto accepts as a CA`, () => {
      const ca = createCertificateAuthority({ commonName: 'root', keyType, validForMs: HOUR_MS, now: NOW, uriSans: ['spiffe://example.org'] });
      const x509 = new X509Certificate(ca.certDer);
      expect(x509.ca).toBe(true);
      expect(x509.checkIssued(x509)).toBe(true);
      expect(x509.verify(ca.publicKey)).toBe(true);
      expect(certificateFacts(ca.certDer)).toMatchObject({
        subjectCommonName: 'root',
        uriSans: ['spiffe://example.org'],
        isCa: true,
        keyUsage: ['keyCertSign', 'cRLSign'],
        keyUsageCritical: true,
        notBefore: NOW,
        notAfter: new Date(NOW.getTime() + HOUR_MS),
      });
    });
  }
});

describe('issueCertificate', () => {
  const ca = createCertificateAuthority({ commonName: 'root', organizationalUnit: 'Unit', organization: 'Org', validForMs: 24 * HOUR_MS, now: NOW });

  it('issues a leaf whose facts are the template and which verifies against its CA', () => {
    const leafKeys = generateKeyPair('ec-p256');
    const der = issueCertificate(
      {
        subject: { commonName: 'web' },
        subjectPublicKey: leafKeys.publicKey,
        notBefore: NOW,
        notAfter: new Date(NOW.getTime() + HOUR_MS),
        isCa: false,
        keyUsage: ['digitalSignature', 'keyEncipherment', 'keyAgreement'],
        extKeyUsage: ['serverAuth', 'clientAuth'],
        uriSans: ['spiffe://example.org/web'],
        dnsNames: ['web.local'],
        ipAddresses: ['10.0.0.1'],
      },
      ca,
    );
    expect(certificateFacts(der)).toEqual({
      subjectCommonName: 'web',
      uriSans: ['spiffe://example.org/web'],
      dnsNames: ['web.local'],
      ipAddresses: ['10.0.0.1'],
      notBefore: NOW,
      notAfter: new Date(NOW.getTime() + HOUR_MS),
      isCa: false,
      keyUsage: ['digitalSignature', 'keyEncipherment', 'keyAgreement'],
      keyUsageCritical: true,
      extKeyUsage: ['serverAuth', 'clientAuth'],
      publicKeySpkiDer: toSpkiDer(leafKeys.publicKey),
    });
    const leaf = new X509Certificate(der);
    const root = new X509Certificate(ca.certDer);
    expect(leaf.checkIssued(root)).toBe(true);
    expect(leaf.verify(root.publicKey)).toBe(true);
    expect(leaf.issuer).toBe('CN=root\nOU=Unit\nO=Org');
  });

  it('signs with an RSA CA and reproduces a profile without basicConstraints or EKU', () => {
    const rsaCa = createCertificateAuthority({ commonName: 'conjur', keyType: 'rsa-2048', validForMs: HOUR_MS, now: NOW });
    const der = issueCertificate(
      {
        subject: { commonName: 'host.conjur.authn-k8s.svc.apps.web' },
        subjectPublicKey: generateKeyPair('ec-p256').publicKey,
        notBefore: NOW,
        notAfter: new Date(NOW.getTime() + HOUR_MS),
        keyUsage: ['digitalSignature', 'keyEncipherment'],
        uriSans: ['spiffe://cluster.local/namespace/apps/podname/web'],
        authorityKeyIdentifier: false,
      },
      rsaCa,
    );
    const leaf = new X509Certificate(der);
    expect(leaf.verify(rsaCa.publicKey)).toBe(true);
    expect(leaf.ca).toBe(false);
    // node:crypto's `keyUsage` is the EKU list: undefined when there is no EKU extension.
    // (Never call X509Certificate#toLegacyObject here: on Node 20, calling it before node:tls is
    // loaded leaves tls.createSecureContext undefined for the whole process.)
    expect(leaf.keyUsage).toBeUndefined();
    expect(certificateFacts(der)).toMatchObject({ isCa: false, extKeyUsage: [], keyUsage: ['digitalSignature', 'keyEncipherment'] });
  });

  it('does not verify against a different CA', () => {
    const other = createCertificateAuthority({ commonName: 'root', validForMs: HOUR_MS, now: NOW });
    const der = issueCertificate(
      { subject: { commonName: 'x' }, subjectPublicKey: generateKeyPair('ec-p256').publicKey, notBefore: NOW, notAfter: NOW, keyUsage: ['digitalSignature'] },
      ca,
    );
    expect(new X509Certificate(der).verify(other.publicKey)).toBe(false);
  });

  it('writes dates from 2050 on as GeneralizedTime that still read back', () => {
    const later = new Date('2051-06-01T00:00:00Z');
    const key = createPrivateKey(ca.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const der = issueCertificate(
      { subject: { commonName: 'x' }, subjectPublicKey: generateKeyPair('ec-p256').publicKey, notBefore: NOW, notAfter: later, keyUsage: ['digitalSignature'] },
      { certDer: ca.certDer, privateKey: key, publicKey: ca.publicKey },
    );
    expect(certificateFacts(der).notAfter).toEqual(later);
  });
});
