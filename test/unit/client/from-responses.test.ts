import { beforeAll, describe, expect, it } from '@jest/globals';
import { fromConjurTokenResponse, fromX509BundlesResponse, fromX509SvidResponse } from '../../../src/client/from-responses.js';
import type { X509SVID__Output } from '../../../src/gen/X509SVID.js';
import { createTestCa } from '../../support/test-ca.js';
import type { TestCa } from '../../support/test-ca.js';
import { issueSvid } from './static-x509-source.js';

// The parse-at-the-edge rules: what go-spiffe refuses on receipt, the client refuses too.

let ca: TestCa;
let otherCa: TestCa;

beforeAll(async () => {
  [ca, otherCa] = await Promise.all([createTestCa(), createTestCa()]);
});

function wire(id: string, overrides: Partial<X509SVID__Output> = {}): X509SVID__Output {
  const svid = issueSvid(ca, id);
  return { spiffe_id: id, x509_svid: Buffer.concat(svid.certChain), x509_svid_key: svid.privateKey, bundle: ca.certDer, hint: '', ...overrides };
}

describe('fromX509SvidResponse', () => {
  it('builds SVIDs and bundles keyed by trust domain, federated ones included', () => {
    const context = fromX509SvidResponse({ svids: [wire('spiffe://example.org/a')], crl: [], federated_bundles: { 'spiffe://other.org': otherCa.certDer } });
    expect(context.svids.map((s) => s.id.toString())).toEqual(['spiffe://example.org/a']);
    expect([...context.bundles.keys()].sort()).toEqual(['example.org', 'other.org']);
  });

  it('keeps the first SVID of a repeated hint, as go-spiffe does', () => {
    const context = fromX509SvidResponse({
      svids: [wire('spiffe://example.org/a', { hint: 'h' }), wire('spiffe://example.org/b', { hint: 'h' }), wire('spiffe://example.org/c')],
      crl: [],
      federated_bundles: {},
    });
    expect(context.svids.map((s) => s.id.path)).toEqual(['/a', '/c']);
  });

  const invalid = [
    { name: 'no SVIDs', svids: () => [], expect: 'X509SVIDResponse has no SVIDs' },
    { name: 'a malformed SPIFFE ID', svids: () => [wire('spiffe://example.org/a', { spiffe_id: 'spiffe://Example.org/a' })], expect: /is not a valid SPIFFE ID/ },
    { name: 'a SAN that differs from spiffe_id', svids: () => [wire('spiffe://example.org/a', { spiffe_id: 'spiffe://example.org/b' })], expect: /leaf URI SAN does not match spiffe_id/ },
    { name: 'a key of another certificate', svids: () => [wire('spiffe://example.org/a', { x509_svid_key: issueSvid(ca, 'spiffe://example.org/a').privateKey })], expect: /private key does not match/ },
    { name: 'a CA as the leaf', svids: () => [wire('spiffe://example.org/a', { x509_svid: ca.certDer })], expect: /exactly one URI SAN|leaf certificate is a CA/ },
    { name: 'a chain that is not DER', svids: () => [wire('spiffe://example.org/a', { x509_svid: Buffer.from('pem?') })], expect: /is not concatenated DER/ },
    { name: 'an empty bundle', svids: () => [wire('spiffe://example.org/a', { bundle: Buffer.alloc(0) })], expect: /bundle of example\.org is not concatenated DER/ },
  ];
  for (const c of invalid) {
    it(`refuses a response with ${c.name}`, () => {
      const call = () => fromX509SvidResponse({ svids: c.svids(), crl: [], federated_bundles: {} });
      expect(call).toThrow(c.expect);
      expect(call).toThrow(expect.objectContaining({ code: 'invalid-response' }) as unknown as Error);
    });
  }
});

describe('fromX509BundlesResponse', () => {
  it('accepts both spiffe://td and bare td keys', () => {
    const bundles = fromX509BundlesResponse({ crl: [], bundles: { 'spiffe://example.org': ca.certDer, 'other.org': otherCa.certDer } });
    expect([...bundles.keys()].sort()).toEqual(['example.org', 'other.org']);
  });

  it('refuses a key that is not a trust domain', () => {
    expect(() => fromX509BundlesResponse({ crl: [], bundles: { 'spiffe://EXAMPLE': ca.certDer } })).toThrow('bundle key "spiffe://EXAMPLE" is not a trust domain');
  });
});

describe('fromConjurTokenResponse', () => {
  it('turns seconds since the epoch into a Date', () => {
    const token = fromConjurTokenResponse({ token: Buffer.from('{}'), login: 'host/a', expires_at: '1700000480', spiffe_id: 'spiffe://example.org/a' });
    expect(token.expiresAt.toISOString()).toBe('2023-11-14T22:21:20.000Z');
  });

  it('refuses an empty token', () => {
    expect(() => fromConjurTokenResponse({ token: Buffer.alloc(0), login: 'a', expires_at: '1', spiffe_id: 'spiffe://example.org/a' })).toThrow('empty token');
  });
});
