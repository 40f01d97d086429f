import { describe, expect, it } from '@jest/globals';
import { bundleSetOf, SpiffeId, TrustDomain } from '../../../src/spiffe/index.js';
import type { X509Bundle, X509Svid } from '../../../src/spiffe/index.js';
import { toX509SvidResponse } from '../../../src/workload-api/index.js';

// Pure conversion: bytes are opaque here, so short made-up buffers stand for DER.
const td = TrustDomain.parse('example.org');
const partner = TrustDomain.parse('partner.example');
const bytes = (text: string) => Buffer.from(text);

function svid(path: string, hint: string, chain = [`leaf:${path}`, `intermediate:${path}`]): X509Svid {
  return {
    id: SpiffeId.parse(`spiffe://example.org${path}`),
    certChain: chain.map(bytes),
    privateKey: bytes(`key:${path}`),
    hint,
    notBefore: new Date(0),
    notAfter: new Date(1),
  };
}
const own: X509Bundle = { trustDomain: td, authorities: [bytes('rootA'), bytes('rootB')] };
const federated: X509Bundle = { trustDomain: partner, authorities: [bytes('partnerRoot')] };

describe('toX509SvidResponse', () => {
  const cases = [
    {
      name: 'concatenates the chain leaf first and passes the PKCS#8 key through',
      given: { svids: [svid('/a', 'a')], bundles: bundleSetOf(own) },
      expect: (r: ReturnType<typeof toX509SvidResponse>) => {
        expect(r.svids![0]!.x509_svid).toEqual(bytes('leaf:/aintermediate:/a'));
        expect(r.svids![0]!.x509_svid_key).toEqual(bytes('key:/a'));
        expect(r.svids![0]!.spiffe_id).toBe('spiffe://example.org/a');
      },
    },
    {
      name: 'sets bundle to the SVID trust domain authorities, concatenated',
      given: { svids: [svid('/a', 'a')], bundles: bundleSetOf(own, federated) },
      expect: (r: ReturnType<typeof toX509SvidResponse>) => expect(r.svids![0]!.bundle).toEqual(bytes('rootArootB')),
    },
    {
      name: 'puts only other trust domains in federated_bundles, keyed spiffe://<td>',
      given: { svids: [svid('/a', 'a')], bundles: bundleSetOf(own, federated) },
      expect: (r: ReturnType<typeof toX509SvidResponse>) => expect(r.federated_bundles).toEqual({ 'spiffe://partner.example': bytes('partnerRoot') }),
    },
    {
      name: 'keeps the given SVID order (the first is the default identity)',
      given: { svids: [svid('/z', 'z'), svid('/a', 'a'), svid('/m', '')], bundles: bundleSetOf(own) },
      expect: (r: ReturnType<typeof toX509SvidResponse>) => expect(r.svids!.map((s) => s.spiffe_id)).toEqual(['spiffe://example.org/z', 'spiffe://example.org/a', 'spiffe://example.org/m']),
    },
    {
      name: 'drops later SVIDs whose non-empty hint repeats, keeps empty hints',
      given: { svids: [svid('/1', 'web'), svid('/2', ''), svid('/3', 'web'), svid('/4', '')], bundles: bundleSetOf(own) },
      expect: (r: ReturnType<typeof toX509SvidResponse>) => expect(r.svids!.map((s) => s.spiffe_id?.slice(-2))).toEqual(['/1', '/2', '/4']),
    },
    {
      name: 'sends an empty bundle when the context lacks the SVID trust domain',
      given: { svids: [svid('/a', 'a')], bundles: bundleSetOf(federated) },
      expect: (r: ReturnType<typeof toX509SvidResponse>) => expect(r.svids![0]!.bundle).toEqual(Buffer.alloc(0)),
    },
  ];
  for (const c of cases) it(c.name, () => c.expect(toX509SvidResponse(c.given)));

  it('gives equal contexts byte-equal responses', () => {
    const context = { svids: [svid('/a', 'a')], bundles: bundleSetOf(federated, own) };
    expect(toX509SvidResponse(context)).toEqual(toX509SvidResponse({ ...context, bundles: bundleSetOf(own, federated) }));
  });
});
