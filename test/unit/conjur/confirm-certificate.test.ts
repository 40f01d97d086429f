import { beforeAll, describe, expect, it } from '@jest/globals';
import { confirmCertificate } from '../../../src/conjur/confirm-certificate.js';
import { certificateFacts, generateKeyPair, toSpkiDer } from '../../../src/x509/index.js';
import { createTestCa } from '../../support/test-ca.js';
import type { IssuedCert, TestCa } from '../../support/test-ca.js';

const SPIFFE_ID = 'spiffe://cluster.local/namespace/ns1/podname/app-1';
const CN = 'host.conjur.authn-k8s.dev.apps.ns1.service_account.app';
const DAY_MS = 24 * 60 * 60 * 1000;

let ca: TestCa;
let otherCa: TestCa;
let good: IssuedCert;

beforeAll(async () => {
  [ca, otherCa] = await Promise.all([createTestCa({ keyType: 'rsa-2048' }), createTestCa({ commonName: 'another CA' })]);
  good = await ca.issueClientCert({ commonName: CN, uriSans: [SPIFFE_ID] });
});

function expectationFor(cert: IssuedCert, overrides: Partial<Parameters<typeof confirmCertificate>[1]> = {}) {
  return {
    publicKeySpkiDer: certificateFacts(cert.certDer).publicKeySpkiDer,
    authorities: [ca.certDer],
    spiffeId: SPIFFE_ID,
    commonName: CN,
    now: Date.now(),
    ...overrides,
  };
}

describe('confirmCertificate', () => {
  it('accepts the certificate Conjur would inject, with its validity', () => {
    const result = confirmCertificate(`${good.certPem}\n`, expectationFor(good));
    expect(result).toMatchObject({ ok: true, leafDer: good.certDer });
    if (result.ok) expect(result.notAfter.getTime()).toBe(certificateFacts(good.certDer).notAfter.getTime());
  });

  it('accepts a certificate from any CA of the bundle', () => {
    expect(confirmCertificate(good.certPem, expectationFor(good, { authorities: [otherCa.certDer, ca.certDer] })).ok).toBe(true);
  });

  const failures: { name: string; check: string; make: () => Promise<[string, Partial<Parameters<typeof confirmCertificate>[1]>]> }[] = [
    { name: 'text without a certificate', check: 'parse', make: async () => ['not a pem', {}] },
    { name: 'two certificates', check: 'parse', make: async () => [good.certPem + good.certPem, {}] },
    {
      name: 'a certificate for another key',
      check: 'public-key',
      make: async () => [good.certPem, { publicKeySpkiDer: toSpkiDer(generateKeyPair('ec-p256').publicKey) }],
    },
    { name: 'a certificate from another CA', check: 'issuer', make: async () => [good.certPem, { authorities: [otherCa.certDer] }] },
    {
      name: 'a certificate with another SPIFFE ID',
      check: 'spiffe-id',
      make: async () => [good.certPem, { spiffeId: 'spiffe://cluster.local/namespace/ns1/podname/other' }],
    },
    {
      name: 'a certificate with an extra SAN',
      check: 'spiffe-id',
      make: async () => {
        const c = await ca.issueClientCert({ commonName: CN, uriSans: [SPIFFE_ID, 'spiffe://cluster.local/x'] });
        return [c.certPem, { publicKeySpkiDer: certificateFacts(c.certDer).publicKeySpkiDer }];
      },
    },
    { name: 'a certificate with another CN', check: 'common-name', make: async () => [good.certPem, { commonName: 'host.someone.else' }] },
    { name: 'an expired certificate', check: 'validity', make: async () => [good.certPem, { now: Date.now() + 2 * DAY_MS }] },
    { name: 'a certificate not valid yet', check: 'validity', make: async () => [good.certPem, { now: Date.now() - DAY_MS }] },
  ];
  for (const c of failures) {
    it(`rejects ${c.name} with the ${c.check} check`, async () => {
      const [pem, overrides] = await c.make();
      expect(confirmCertificate(pem, expectationFor(good, overrides))).toMatchObject({ ok: false, check: c.check });
    });
  }

  it('skips the issuer check only when no CA is given', () => {
    expect(confirmCertificate(good.certPem, expectationFor(good, { authorities: undefined })).ok).toBe(true);
  });

  it('names the failed check without any key material', () => {
    const result = confirmCertificate(good.certPem, expectationFor(good, { publicKeySpkiDer: Buffer.alloc(10) }));
    expect(result.ok ? '' : result.detail).toBe('certificate public key is not the key of this issuance');
  });
});
