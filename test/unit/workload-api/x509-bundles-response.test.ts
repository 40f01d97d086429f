import { describe, expect, it } from '@jest/globals';
import { bundleSetOf, SpiffeId, TrustDomain } from '../../../src/spiffe/index.js';
import { toConjurTokenResponse, toX509BundlesResponse } from '../../../src/workload-api/index.js';

const bundle = (name: string, ...authorities: string[]) => ({ trustDomain: TrustDomain.parse(name), authorities: authorities.map((a) => Buffer.from(a)) });

describe('toX509BundlesResponse', () => {
  const cases = [
    { name: 'keys each bundle by spiffe://<td> with concatenated DER', given: bundleSetOf(bundle('example.org', 'a', 'b')), expect: { 'spiffe://example.org': Buffer.from('ab') } },
    {
      name: 'includes every trust domain of the set',
      given: bundleSetOf(bundle('example.org', 'a'), bundle('partner.example', 'p')),
      expect: { 'spiffe://example.org': Buffer.from('a'), 'spiffe://partner.example': Buffer.from('p') },
    },
    { name: 'sends an empty map for an empty set (everything withdrawn)', given: bundleSetOf(), expect: {} },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const response = toX509BundlesResponse(c.given);
      expect(response.bundles).toEqual(c.expect);
      expect(response.crl).toEqual([]);
    });
  }
});

describe('toConjurTokenResponse', () => {
  it('passes the token bytes through and gives the expiry in whole seconds', () => {
    const raw = Buffer.from('{"protected":"p","payload":"q","signature":"s"}');
    const identity = { key: 'k', spiffeId: SpiffeId.parse('spiffe://example.org/ns/a'), hint: '', facts: { kind: 'unix', process: { pid: 1, uid: 2, gid: 3 } } } as const;
    const response = toConjurTokenResponse({ raw, login: 'host/apps/a', issuedAt: 1_000, expiresAt: 1_700_000_480_999 }, identity);
    expect(response).toEqual({ token: raw, login: 'host/apps/a', expires_at: '1700000480', spiffe_id: 'spiffe://example.org/ns/a' });
  });
});
