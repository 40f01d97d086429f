import { describe, expect, it } from '@jest/globals';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { describeServedProtos, servedServices } from '../../../src/workload-api/index.js';

// The agent serves its Workload API, token and health services from generated descriptors
// (served-services.ts) instead of proto-loader. Whatever a client sends or receives must be the
// same bytes and the same objects as proto-loader's codecs give, for every method.

type Method = MethodDefinition<object, object>;
const ours = servedServices();
const reference = describeServedProtos();

function referenceService(name: string): ServiceDefinition {
  return reference[name] as unknown as ServiceDefinition;
}

const serviceNames = [
  ['SpiffeWorkloadAPI', ours.workloadService],
  ['conjur.spiffe.v1.ConjurTokenService', ours.tokenService],
  ['grpc.health.v1.Health', ours.healthService],
] as const;

const der = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7) % 256));

// One message per method and direction, with every kind of field the protos use: repeated
// messages, bytes, maps, int64, enums, Struct, and unset fields left to their defaults.
const messages: Record<string, { request: object; response: object }> = {
  FetchX509SVID: {
    request: {},
    response: { svids: [{ spiffe_id: 'spiffe://cluster.local/ns/a/sa/b', x509_svid: der(300), x509_svid_key: der(121), bundle: der(200), hint: 'internal' }], crl: [der(10)], federated_bundles: { 'spiffe://other.org': der(50) } },
  },
  FetchX509Bundles: { request: {}, response: { crl: [], bundles: { 'spiffe://cluster.local': der(400), 'spiffe://other.org': der(3) } } },
  FetchJWTSVID: { request: { audience: ['a', 'b'], spiffe_id: 'spiffe://cluster.local/x' }, response: { svids: [{ spiffe_id: 'spiffe://cluster.local/x', svid: 'eyJ.e30.sig', hint: '' }] } },
  FetchJWTBundles: { request: {}, response: { bundles: { 'spiffe://cluster.local': der(20) } } },
  ValidateJWTSVID: {
    request: { audience: 'a', svid: 'eyJ.e30.sig' },
    response: { spiffe_id: 'spiffe://cluster.local/x', claims: { fields: { sub: { stringValue: 'spiffe://cluster.local/x' }, exp: { numberValue: 1700000000 }, aud: { listValue: { values: [{ stringValue: 'a' }] } } } } },
  },
  FetchWITSVID: { request: {}, response: {} },
  FetchWITBundles: { request: {}, response: {} },
  FetchConjurToken: { request: {}, response: { token: Buffer.from('{"protected":"e30","payload":"e30","signature":"c2ln"}'), login: 'host/apps/x', expires_at: '1765000000', spiffe_id: 'spiffe://cluster.local/x' } },
  Check: { request: { service: 'SpiffeWorkloadAPI' }, response: { status: 'NOT_SERVING' } },
  Watch: { request: { service: '' }, response: { status: 'SERVING' } },
  List: { request: {}, response: { statuses: { '': { status: 'SERVING' }, SpiffeWorkloadAPI: { status: 'NOT_SERVING' } } } },
};

describe('served services', () => {
  for (const [name, service] of serviceNames) {
    it(`${name}: the same methods, paths and streaming as proto-loader's`, () => {
      const theirs = referenceService(name);
      expect(Object.keys(service).sort()).toEqual(Object.keys(theirs).sort());
      for (const [method, definition] of Object.entries(service)) {
        const { path, requestStream, responseStream } = theirs[method]!;
        expect({ method, path: definition.path, requestStream: definition.requestStream, responseStream: definition.responseStream }).toEqual({ method, path, requestStream, responseStream });
      }
    });

    it(`${name}: every method encodes to proto-loader's bytes and decodes to proto-loader's objects`, () => {
      const theirs = referenceService(name);
      for (const [method, definition] of Object.entries(service) as [string, Method][]) {
        const other = theirs[method] as Method;
        const sample = messages[method];
        expect(sample).toBeDefined();
        for (const [value, serialize, otherSerialize, deserialize, otherDeserialize] of [
          [sample!.request, definition.requestSerialize, other.requestSerialize, definition.requestDeserialize, other.requestDeserialize],
          [sample!.response, definition.responseSerialize, other.responseSerialize, definition.responseDeserialize, other.responseDeserialize],
        ] as const) {
          const bytes = serialize(value);
          expect(Buffer.isBuffer(bytes)).toBe(true);
          expect(bytes.equals(otherSerialize(value))).toBe(true);
          expect(deserialize(bytes)).toEqual(otherDeserialize(bytes));
        }
      }
    });
  }

  it('reads malformed bytes as proto-loader does: the same object, or an error for both', () => {
    const outcome = (read: (bytes: Buffer) => object, bytes: Buffer) => {
      try {
        return { read: read(bytes) };
      } catch (error) {
        return { error: (error as Error).message };
      }
    };
    const malformed = [
      [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f], // a length past the end
      [0x0a, 0x05, 0x61, 0x62], // a string cut short
      [0x0b], // a group start, a wire type proto3 never sends
      [0x12, 0x02, 0xc3, 0x28], // not UTF-8
      [0x08, 0x80], // a varint cut short
      [0xfa, 0xff, 0xff, 0xff, 0x0f, 0x00], // an unknown field number
    ].map((b) => Buffer.from(b));
    const method = ours.workloadService.FetchJWTSVID as unknown as Method;
    const theirs = referenceService('SpiffeWorkloadAPI').FetchJWTSVID as Method;
    for (const bytes of malformed) expect(outcome(method.requestDeserialize, bytes)).toEqual(outcome(theirs.requestDeserialize, bytes));
  });
});
