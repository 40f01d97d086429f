import { describe, expect, it } from '@jest/globals';
import { bundleSetOf, sameBundleSet, SpiffeId, SpiffeIdError, TrustDomain } from '../../../src/spiffe/index.js';

describe('SpiffeId.parse', () => {
  const valid = [
    { text: 'spiffe://cluster.local/namespace/shop/podname/payments-6c9f7', td: 'cluster.local', path: '/namespace/shop/podname/payments-6c9f7' },
    { text: 'spiffe://example.org/uid/0', td: 'example.org', path: '/uid/0' },
    { text: 'spiffe://10.0.0.1/a_b.c-d', td: '10.0.0.1', path: '/a_b.c-d' },
  ];
  for (const c of valid) {
    it(`accepts ${c.text}`, () => {
      const id = SpiffeId.parse(c.text);
      expect([id.trustDomain.name, id.path, id.toString()]).toEqual([c.td, c.path, c.text]);
    });
  }

  const invalid = [
    { name: 'another scheme', text: 'https://example.org/a', rule: /scheme/ },
    { name: 'no path (an SVID needs one)', text: 'spiffe://example.org', rule: /path is empty/ },
    { name: 'a trailing slash', text: 'spiffe://example.org/a/', rule: /empty segments or a trailing slash/ },
    { name: 'an empty segment', text: 'spiffe://example.org/a//b', rule: /empty segments/ },
    { name: 'a dot segment', text: 'spiffe://example.org/a/../b', rule: /dot segments/ },
    { name: 'percent-encoding', text: 'spiffe://example.org/a%20b', rule: /segment characters/ },
    { name: 'an uppercase trust domain', text: 'spiffe://Example.org/a', rule: /trust domain characters/ },
    { name: 'a port', text: 'spiffe://example.org:8443/a', rule: /trust domain characters/ },
    { name: 'userinfo', text: 'spiffe://user@example.org/a', rule: /trust domain characters/ },
    { name: 'a query', text: 'spiffe://example.org/a?b=c', rule: /segment characters/ },
    { name: 'no trust domain', text: 'spiffe:///a', rule: /trust domain is missing/ },
  ];
  for (const c of invalid) {
    it(`rejects ${c.name}, naming the rule`, () => {
      expect(() => SpiffeId.parse(c.text)).toThrow(SpiffeIdError);
      expect(() => SpiffeId.parse(c.text)).toThrow(c.rule);
    });
  }

  it('refuses IDs longer than 2048 bytes', () => {
    expect(() => SpiffeId.fromSegments(TrustDomain.parse('example.org'), 'a'.repeat(2100))).toThrow(/2048/);
  });

  it('builds the Conjur-shaped ID from segments and compares by value', () => {
    const id = SpiffeId.fromSegments(TrustDomain.parse('cluster.local'), 'namespace', 'shop', 'podname', 'orders');
    expect(id.equals(SpiffeId.parse('spiffe://cluster.local/namespace/shop/podname/orders'))).toBe(true);
    expect(id.segments()).toEqual(['namespace', 'shop', 'podname', 'orders']);
  });
});

describe('TrustDomain', () => {
  it('accepts the bare name or the trust domain SPIFFE ID, and writes the map key as spiffe://<td>', () => {
    expect(TrustDomain.parse('spiffe://example.org').idString()).toBe('spiffe://example.org');
    expect(TrustDomain.parse('example.org').equals(TrustDomain.parse('spiffe://example.org'))).toBe(true);
  });

  it('refuses names over 255 bytes', () => {
    expect(() => TrustDomain.parse('a'.repeat(256))).toThrow(/255/);
  });
});

describe('sameBundleSet', () => {
  const td = TrustDomain.parse('example.org');
  it('compares authorities byte for byte, per trust domain', () => {
    const a = bundleSetOf({ trustDomain: td, authorities: [Buffer.from([1, 2])] });
    expect(sameBundleSet(a, bundleSetOf({ trustDomain: td, authorities: [Buffer.from([1, 2])] }))).toBe(true);
    expect(sameBundleSet(a, bundleSetOf({ trustDomain: td, authorities: [Buffer.from([1, 3])] }))).toBe(false);
    expect(sameBundleSet(a, bundleSetOf({ trustDomain: TrustDomain.parse('other.org'), authorities: [Buffer.from([1, 2])] }))).toBe(false);
  });
});
