import { describe, expect, it } from '@jest/globals';
import { DEFAULT_SDS_OPTIONS, selectSecrets } from '../../../src/sds/index.js';
import type { SdsSecret } from '../../../src/sds/index.js';
import { bundleSetOf, SpiffeId, TrustDomain } from '../../../src/spiffe/index.js';
import type { X509Bundle, X509Context, X509Svid } from '../../../src/spiffe/index.js';

// Pure selection: bytes are opaque here, so short made-up buffers stand for DER; the PEM text
// shows which bytes went where.
const own = TrustDomain.parse('cluster.local');
const partner = TrustDomain.parse('partner.example');
const der = (text: string) => Buffer.from(text);
const pemOf = (text: string) => Buffer.from(text).toString('base64');

function svid(path: string): X509Svid {
  return { id: SpiffeId.parse(`spiffe://cluster.local${path}`), certChain: [der(`leaf${path}`), der(`mid${path}`)], privateKey: der(`key${path}`), hint: '', notBefore: new Date(0), notAfter: new Date(1) };
}
const ownBundle: X509Bundle = { trustDomain: own, authorities: [der('ownRoot')] };
const partnerBundle: X509Bundle = { trustDomain: partner, authorities: [der('partnerRoot1'), der('partnerRoot2')] };
const pod = '/namespace/shop/podname/orders';
const context: X509Context = { svids: [svid(pod)], bundles: bundleSetOf(partnerBundle, ownBundle) };

const summary = (secrets: SdsSecret[]) =>
  secrets.map((s) => {
    switch (s.kind) {
      case 'tls-certificate':
        return `${s.name}: cert`;
      case 'trusted-ca':
        return `${s.name}: ca`;
      case 'spiffe-validator':
        return `${s.name}: spiffe[${s.trustDomains.map((d) => d.name).join(',')}]`;
    }
  });

describe('selectSecrets', () => {
  const cases: { name: string; names: string[]; form: 'spiffe-validator' | 'trusted-ca'; expect: string[] }[] = [
    { name: 'default is the first SVID, named as requested', names: ['default'], form: 'spiffe-validator', expect: ['default: cert'] },
    { name: 'the SPIFFE ID is the SVID named by its ID', names: [`spiffe://cluster.local${pod}`], form: 'spiffe-validator', expect: [`spiffe://cluster.local${pod}: cert`] },
    { name: 'ROOTCA is the own trust domain through the SPIFFE validator', names: ['ROOTCA'], form: 'spiffe-validator', expect: ['ROOTCA: spiffe[cluster.local]'] },
    { name: 'ROOTCA is plain trusted_ca for old Envoy', names: ['ROOTCA'], form: 'trusted-ca', expect: ['ROOTCA: ca'] },
    { name: 'spiffe://<td> is that trust domain', names: ['spiffe://partner.example'], form: 'spiffe-validator', expect: ['spiffe://partner.example: spiffe[partner.example]'] },
    { name: 'ALL lists every trust domain, sorted', names: ['ALL'], form: 'spiffe-validator', expect: ['ALL: spiffe[cluster.local,partner.example]'] },
    { name: 'ALL is one trusted_ca when the validator is off', names: ['ALL'], form: 'trusted-ca', expect: ['ALL: ca'] },
    { name: 'unknown names are absent', names: ['default', 'nope', 'spiffe://other.example', 'spiffe://cluster.local/someone-else'], form: 'spiffe-validator', expect: ['default: cert'] },
    { name: 'the order is the order of the names, duplicates once', names: ['ROOTCA', 'default', 'ROOTCA'], form: 'spiffe-validator', expect: ['ROOTCA: spiffe[cluster.local]', 'default: cert'] },
    {
      name: 'no names is every bundle by trust domain ID and every SVID by SPIFFE ID',
      names: [],
      form: 'spiffe-validator',
      expect: ['spiffe://cluster.local: spiffe[cluster.local]', 'spiffe://partner.example: spiffe[partner.example]', `spiffe://cluster.local${pod}: cert`],
    },
  ];
  for (const c of cases) {
    it(c.name, () => expect(summary(selectSecrets(context, c.names, c.form, DEFAULT_SDS_OPTIONS))).toEqual(c.expect));
  }

  it('writes the chain leaf first and the key as PEM PKCS#8', () => {
    const [secret] = selectSecrets(context, ['default'], 'spiffe-validator', DEFAULT_SDS_OPTIONS);
    if (secret?.kind !== 'tls-certificate') throw new Error('expected a tls certificate');
    expect(secret.certificateChainPem).toBe(`-----BEGIN CERTIFICATE-----\n${pemOf(`leaf${pod}`)}\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n${pemOf(`mid${pod}`)}\n-----END CERTIFICATE-----\n`);
    expect(secret.privateKeyPem).toBe(`-----BEGIN PRIVATE KEY-----\n${pemOf(`key${pod}`)}\n-----END PRIVATE KEY-----\n`);
  });

  it('puts every authority of a bundle in its PEM, in order', () => {
    const [secret] = selectSecrets(context, ['spiffe://partner.example'], 'trusted-ca', DEFAULT_SDS_OPTIONS);
    if (secret?.kind !== 'trusted-ca') throw new Error('expected trusted_ca');
    expect(secret.trustedCaPem).toContain(pemOf('partnerRoot1'));
    expect(secret.trustedCaPem.indexOf(pemOf('partnerRoot1'))).toBeLessThan(secret.trustedCaPem.indexOf(pemOf('partnerRoot2')));
    expect(secret.trustedCaPem).not.toContain(pemOf('ownRoot'));
  });

  it('uses the configured names instead of SPIRE\'s', () => {
    const options = { ...DEFAULT_SDS_OPTIONS, defaultSvidName: 'svid', defaultBundleName: 'ca', defaultAllBundlesName: 'everything' };
    expect(summary(selectSecrets(context, ['svid', 'ca', 'everything', 'default', 'ROOTCA', 'ALL'], 'spiffe-validator', options))).toEqual([
      'svid: cert',
      'ca: spiffe[cluster.local]',
      'everything: spiffe[cluster.local,partner.example]',
    ]);
  });
});
