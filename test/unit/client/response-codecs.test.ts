import { describe, expect, it } from '@jest/globals';
import type { MethodDefinition } from '@grpc/proto-loader';
import {
  decodeFetchConjurTokenResponse,
  decodeHealthCheckResponse,
  decodeX509BundlesResponse,
  decodeX509SvidResponse,
  encodeHealthCheckRequest,
} from '../../../src/client/response-codecs.js';
import { WireFormatError } from '../../../src/client/wire-format.js';
import { servedServices } from '../../../src/workload-api/served-services.js';

// The client's hand-written codecs against the codecs the agent serves with (served-services.ts,
// themselves held to proto-loader's): whatever the agent encodes, the client must read as exactly
// what the agent's own decoder would.

type Method = MethodDefinition<object, object>;

const served = servedServices();
const x509 = served.workloadService.FetchX509SVID as unknown as Method;
const bundles = served.workloadService.FetchX509Bundles as unknown as Method;
const token = served.tokenService.FetchConjurToken as unknown as Method;
const check = served.healthService.Check as unknown as Method;

const der = (text: string) => Buffer.from(text);
/** An extra field a newer agent might send: number 15, length-delimited. */
const unknownField = Buffer.from([0x7a, 0x03, 0x61, 0x62, 0x63]);

const cases: { name: string; method: Method; decode: (bytes: Uint8Array) => unknown; given: object }[] = [
  {
    name: 'X509SVIDResponse with two SVIDs, CRLs and federated bundles',
    method: x509,
    decode: decodeX509SvidResponse,
    given: {
      svids: [
        { spiffe_id: 'spiffe://example.org/a', x509_svid: der('cert-a'), x509_svid_key: der('key-a'), bundle: der('bundle'), hint: 'internal' },
        { spiffe_id: 'spiffe://example.org/b', x509_svid: der('cert-b'), x509_svid_key: der('key-b'), bundle: der('bundle'), hint: '' },
      ],
      crl: [der('crl-1'), der('crl-2')],
      federated_bundles: { 'spiffe://other.org': der('other'), 'spiffe://third.org': der('third') },
    },
  },
  { name: 'an empty X509SVIDResponse (defaults filled in)', method: x509, decode: decodeX509SvidResponse, given: {} },
  { name: 'an SVID with only an ID', method: x509, decode: decodeX509SvidResponse, given: { svids: [{ spiffe_id: 'spiffe://example.org/x' }] } },
  { name: 'X509BundlesResponse', method: bundles, decode: decodeX509BundlesResponse, given: { crl: [der('c')], bundles: { 'spiffe://example.org': der('b1'), 'spiffe://x.org': der('b2') } } },
  { name: 'an empty X509BundlesResponse', method: bundles, decode: decodeX509BundlesResponse, given: {} },
  { name: 'FetchConjurTokenResponse', method: token, decode: decodeFetchConjurTokenResponse, given: { token: der('{"protected":"x"}'), login: 'host/apps/a', expires_at: '1764000000', spiffe_id: 'spiffe://example.org/a' } },
  { name: 'an int64 past 2^53 and a negative one', method: token, decode: decodeFetchConjurTokenResponse, given: { expires_at: '9007199254740993' } },
  { name: 'a negative int64', method: token, decode: decodeFetchConjurTokenResponse, given: { expires_at: '-5' } },
  { name: 'an empty FetchConjurTokenResponse', method: token, decode: decodeFetchConjurTokenResponse, given: {} },
  { name: 'HealthCheckResponse SERVING', method: check, decode: decodeHealthCheckResponse, given: { status: 'SERVING' } },
  { name: 'HealthCheckResponse NOT_SERVING', method: check, decode: decodeHealthCheckResponse, given: { status: 'NOT_SERVING' } },
  { name: 'HealthCheckResponse UNKNOWN (the default, sent as nothing)', method: check, decode: decodeHealthCheckResponse, given: { status: 'UNKNOWN' } },
];

describe('client response codecs', () => {
  for (const c of cases) {
    it(`reads ${c.name} as proto-loader does`, () => {
      const bytes = c.method.responseSerialize(c.given);
      expect(c.decode(bytes)).toEqual(c.method.responseDeserialize(bytes));
    });

    it(`skips unknown fields in ${c.name}`, () => {
      const bytes = c.method.responseSerialize(c.given);
      expect(c.decode(Buffer.concat([unknownField, bytes, unknownField]))).toEqual(c.method.responseDeserialize(bytes));
    });
  }

  it('returns Buffers that do not share memory with the received frame', () => {
    const bytes = Buffer.from(x509.responseSerialize({ svids: [{ spiffe_id: 'spiffe://example.org/a', x509_svid: der('cert') }] }));
    const decoded = decodeX509SvidResponse(bytes);
    bytes.fill(0);
    expect(decoded.svids[0]!.x509_svid.toString()).toBe('cert');
  });

  it('encodes the health check request so that the agent reads the service asked about', () => {
    // proto3 may leave an empty string out or write it; both decode the same.
    for (const service of ['', 'conjur.spiffe.v1.ConjurTokenService']) {
      expect(check.requestDeserialize(encodeHealthCheckRequest({ service }))).toEqual({ service });
    }
  });

  const broken: { name: string; bytes: number[] }[] = [
    { name: 'a truncated varint', bytes: [0x08, 0x80] },
    { name: 'a length past the end', bytes: [0x0a, 0x05, 0x61] },
    { name: 'a field with the wrong wire type', bytes: [0x08, 0x01] },
    { name: 'field number 0', bytes: [0x02, 0x00] },
    { name: 'a group (wire type 3)', bytes: [0x7b] },
  ];
  for (const c of broken) {
    it(`refuses ${c.name} with a WireFormatError`, () => {
      expect(() => decodeX509SvidResponse(Buffer.from(c.bytes))).toThrow(WireFormatError);
    });
  }
});
