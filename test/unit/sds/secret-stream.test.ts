import { describe, expect, it } from '@jest/globals';
import { DEFAULT_SDS_OPTIONS, SECRET_TYPE_URL, SecretStream } from '../../../src/sds/index.js';
import { bundleSetOf, SpiffeId, TrustDomain } from '../../../src/spiffe/index.js';
import type { X509Context } from '../../../src/spiffe/index.js';
import type { DiscoveryRequest__Output } from '../../../src/gen/envoy/service/discovery/v3/DiscoveryRequest.js';
import type { DiscoveryResponse__Output } from '../../../src/gen/envoy/service/discovery/v3/DiscoveryResponse.js';
import { decodeResponse } from '../../support/sds-client.js';

// The xDS bookkeeping of one stream, driven step by step as Envoy would.
const td = TrustDomain.parse('cluster.local');
const id = SpiffeId.parse('spiffe://cluster.local/namespace/shop/podname/orders');

function contextWith(serial: string, root = 'root'): X509Context {
  return {
    svids: [{ id, certChain: [Buffer.from(`leaf-${serial}`)], privateKey: Buffer.from(`key-${serial}`), hint: '', notBefore: new Date(0), notAfter: new Date(1) }],
    bundles: bundleSetOf({ trustDomain: td, authorities: [Buffer.from(root)] }),
  };
}

function request(fields: Partial<DiscoveryRequest__Output>): DiscoveryRequest__Output {
  return { version_info: '', node: null, resource_names: [], type_url: SECRET_TYPE_URL, response_nonce: '', error_detail: null, ...fields };
}

function newStream(): SecretStream {
  let n = 0;
  return new SecretStream(DEFAULT_SDS_OPTIONS, () => `nonce-${++n}`);
}

describe('SecretStream', () => {
  it('answers the first request once the context is there, with a version and a nonce', () => {
    const stream = newStream();
    const first = stream.onRequest(request({ resource_names: ['default', 'ROOTCA'] }));
    expect(first.kind).toBe('first');
    expect(first.planned).toBeUndefined();
    const sent = stream.onContext(contextWith('1'));
    expect(sent?.secretCount).toBe(2);
    expect(sent?.nonce).toBe('nonce-1');
    expect(sent?.response.version_info).toBe(sent?.versionInfo);
    expect(sent?.response.type_url).toBe(SECRET_TYPE_URL);
    expect(sent?.versionInfo).toMatch(/^[0-9a-f]{16}$/);
    expect(sent?.trigger).toBe('request'); // it answers the subscription, though the SVID came later
  });

  it('answers at once when the context is already there, and sends nothing for an ACK', () => {
    const stream = newStream();
    stream.onContext(contextWith('1'));
    const first = stream.onRequest(request({ resource_names: ['default'] }));
    const planned = first.planned!;
    const ack = stream.onRequest(request({ resource_names: ['default'], version_info: planned.versionInfo, response_nonce: planned.nonce }));
    expect(ack.kind).toBe('ack');
    expect(ack.planned).toBeUndefined();
  });

  it('changes the version exactly when the content changes, with a fresh nonce every time', () => {
    const stream = newStream();
    stream.onContext(contextWith('1'));
    const first = stream.onRequest(request({ resource_names: ['default'] })).planned!;
    expect(stream.onContext(contextWith('1'))).toBeUndefined(); // same content: nothing to push
    const renewed = stream.onContext(contextWith('2'))!;
    expect(renewed.versionInfo).not.toBe(first.versionInfo);
    expect(renewed.nonce).not.toBe(first.nonce);
    expect(renewed.trigger).toBe('update');
    // A bundle change the stream did not ask for changes nothing it holds.
    expect(stream.onContext(contextWith('2', 'new-root'))).toBeUndefined();
  });

  it('pushes a bundle change to a stream that asked for the bundle', () => {
    const stream = newStream();
    stream.onContext(contextWith('1'));
    const first = stream.onRequest(request({ resource_names: ['ROOTCA'] })).planned!;
    const pushed = stream.onContext(contextWith('1', 'new-root'))!;
    expect(pushed.versionInfo).not.toBe(first.versionInfo);
  });

  it('answers new names on the same stream at once', () => {
    const stream = newStream();
    stream.onContext(contextWith('1'));
    const first = stream.onRequest(request({ resource_names: ['default'] })).planned!;
    const changed = stream.onRequest(request({ resource_names: ['default', 'ALL'], version_info: first.versionInfo, response_nonce: first.nonce }));
    expect(changed.kind).toBe('names-changed');
    expect(changed.planned?.secretCount).toBe(2);
    expect(changed.planned?.versionInfo).not.toBe(first.versionInfo);
  });

  it('treats the same names in another order as an ACK', () => {
    const stream = newStream();
    stream.onContext(contextWith('1'));
    const first = stream.onRequest(request({ resource_names: ['default', 'ROOTCA'] })).planned!;
    const again = stream.onRequest(request({ resource_names: ['ROOTCA', 'default'], version_info: first.versionInfo, response_nonce: first.nonce }));
    expect(again.kind).toBe('ack');
  });

  it('records a NACK with the error detail and never sends the rejected content again', () => {
    const stream = newStream();
    stream.onContext(contextWith('1'));
    const first = stream.onRequest(request({ resource_names: ['default'] })).planned!;
    const nack = stream.onRequest(request({ resource_names: ['default'], response_nonce: first.nonce, error_detail: { code: 3, message: 'bad key', details: [] } }));
    expect(nack).toMatchObject({ kind: 'nack', errorDetail: 'bad key', rejectedVersion: first.versionInfo });
    expect(nack.planned).toBeUndefined();
    // Names that come back to the rejected content get no answer; new content does.
    const away = stream.onRequest(request({ resource_names: ['default', 'ROOTCA'], response_nonce: first.nonce }));
    expect(away.planned).toBeDefined();
    const back = stream.onRequest(request({ resource_names: ['default'], response_nonce: away.planned!.nonce }));
    expect(back.kind).toBe('names-changed');
    expect(back.planned).toBeUndefined();
    expect(stream.onContext(contextWith('2'))?.versionInfo).toBeDefined();
  });

  it('answers a NACK that also changes the names with the new names', () => {
    const stream = newStream();
    stream.onContext(contextWith('1'));
    const first = stream.onRequest(request({ resource_names: ['default'] })).planned!;
    const step = stream.onRequest(request({ resource_names: ['ROOTCA'], response_nonce: first.nonce, error_detail: { code: 3, message: 'no', details: [] } }));
    expect(step.kind).toBe('nack');
    expect(step.planned?.secretCount).toBe(1);
  });

  it('ignores a request that answers an older response (stale nonce)', () => {
    const stream = newStream();
    stream.onContext(contextWith('1'));
    const first = stream.onRequest(request({ resource_names: ['default'] })).planned!;
    const second = stream.onContext(contextWith('2'))!;
    const stale = stream.onRequest(request({ resource_names: ['ALL'], response_nonce: first.nonce, error_detail: { code: 3, message: 'late', details: [] } }));
    expect(stale.kind).toBe('stale');
    expect(stale.planned).toBeUndefined();
    expect(stream.onRequest(request({ resource_names: ['default'], response_nonce: second.nonce })).kind).toBe('ack');
  });

  it('answers an Envoy older than 1.18 with plain trusted_ca', () => {
    const stream = newStream();
    stream.onContext(contextWith('1'));
    const node = { id: 'e', cluster: 'c', user_agent_name: 'envoy', client_features: [], user_agent_build_version: { version: { major_number: 1, minor_number: 17, patch: 2 } } };
    const planned = stream.onRequest(request({ resource_names: ['ROOTCA'], node })).planned!;
    const [secret] = decodeResponse(planned.response as DiscoveryResponse__Output).secrets;
    expect(secret?.trustedCaPem).toContain('-----BEGIN CERTIFICATE-----');
    expect(secret?.spiffeValidator).toBeUndefined();
  });

  it('refuses another xDS type', () => {
    expect(() => newStream().onRequest(request({ type_url: 'type.googleapis.com/envoy.config.cluster.v3.Cluster' }))).toThrow(/is not type.googleapis.com\/envoy.extensions.transport_sockets.tls.v3.Secret/);
  });
});
