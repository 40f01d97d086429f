import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { AttestationError } from '../../../src/attestation/index.js';
import { IssuanceError } from '../../../src/svid-cache/index.js';
import { FakeSvidSubscriptions } from '../../fakes/fake-svid-subscriptions.js';
import { firstMessage, openRawStream, StreamReader, streamEnd } from '../../support/workload-client.js';
import { eventually, startTestEndpoint } from '../../support/workload-endpoint-fixture.js';
import type { TestEndpoint } from '../../support/workload-endpoint-fixture.js';

const me = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() };

describe('FetchX509SVID handler', () => {
  let svids: FakeSvidSubscriptions;
  let t: TestEndpoint;

  beforeEach(async () => {
    svids = await FakeSvidSubscriptions.create(); // fresh per test: some tests end an identity for good
    t = await startTestEndpoint(svids);
  });
  afterEach(async () => {
    await t.close();
    expect(svids.active).toBe(0);
    expect(t.endpoint.openStreamCount).toBe(0);
  });

  const failures = [
    { name: 'attestation cannot finish', arrange: (e: TestEndpoint) => e.attestor.failWith(new AttestationError('unavailable', 'kubelet returned 503 for /pods')), code: status.UNAVAILABLE, details: 'workload attestation failed', level: 'warn' },
    { name: 'the caller is not a workload', arrange: (e: TestEndpoint) => e.attestor.failWith(new AttestationError('not-a-workload', 'process is not in a pod')), code: status.PERMISSION_DENIED, details: 'no identity issued', level: 'info' },
    { name: 'issuance is unavailable', arrange: () => svids.failWith(new IssuanceError('unavailable', 'conjur unreachable')), code: status.UNAVAILABLE, details: 'conjur unreachable', level: 'warn' },
    { name: 'Conjur denies the host', arrange: () => svids.failWith(new IssuanceError('denied', 'conjur answered 403')), code: status.PERMISSION_DENIED, details: 'conjur answered 403', level: 'warn' },
  ];
  for (const c of failures) {
    it(`ends with ${status[c.code]} when ${c.name}, logging the cause at ${c.level}`, async () => {
      c.arrange(t);
      expect(await streamEnd(t.client().fetchX509Svid())).toEqual({ code: c.code, details: c.details });
      const line = t.logs.find((l) => l.level === c.level && l.fields['method'] === '/SpiffeWorkloadAPI/FetchX509SVID');
      expect(line?.fields['pid']).toBe(process.pid);
      expect(String(line?.fields['cause'])).not.toBe('');
    });
  }

  it('ends an open stream with PermissionDenied when the identity is withdrawn', async () => {
    const reader = new StreamReader(t.client().fetchX509Svid());
    await reader.next();
    const identity = t.identities.resolve({ kind: 'unix', process: me })!;
    await svids.fail(identity, new IssuanceError('evicted', 'pod deleted'));
    expect(await reader.ended).toEqual({ code: status.PERMISSION_DENIED, details: 'identity withdrawn' });
  });

  it('ends with PermissionDenied when the context holds no SVIDs', async () => {
    const identity = t.identities.resolve({ kind: 'unix', process: me })!;
    await svids.setSvids(identity, []);
    expect((await streamEnd(t.client().fetchX509Svid())).code).toBe(status.PERMISSION_DENIED);
  });

  it('releases the subscription when the client disconnects mid-stream', async () => {
    const raw = openRawStream(t.socketPath);
    expect((await raw.firstData).length).toBeGreaterThan(5);
    expect(svids.active).toBe(1);
    expect(t.endpoint.openStreamCount).toBe(1);
    raw.destroy(); // the connection goes away with no cancel: a crashed workload
    await eventually(() => svids.active === 0 && t.endpoint.openStreamCount === 0 && t.endpoint.connectionCount === 0);
  });

  it('releases the subscription when the client cancels the call', async () => {
    const reader = new StreamReader(t.client().fetchX509Svid());
    await reader.next();
    reader.cancel();
    await eventually(() => svids.active === 0 && t.endpoint.openStreamCount === 0);
  });

  it('serves many streams on one connection, each with the full state', async () => {
    const client = t.client();
    const messages = await Promise.all(Array.from({ length: 5 }, () => firstMessage(client.fetchX509Svid())));
    expect(new Set(messages.map((m) => m.svids[0]!.spiffe_id)).size).toBe(1);
    expect(t.endpoint.connectionCount).toBe(1);
  });

  it('never writes key material to the log', async () => {
    const response = await firstMessage(t.client().fetchX509Svid());
    svids.failWith(new IssuanceError('confirm-failed', 'certificate key does not match'));
    await streamEnd(t.client().fetchX509Svid());
    const logged = JSON.stringify(t.logs);
    const key = response.svids[0]!.x509_svid_key;
    expect(logged).not.toContain(key.toString('base64'));
    expect(logged).not.toContain(key.toString('hex'));
    expect(t.logs.some((l) => l.level === 'error' && l.message === 'Issued credential failed a check')).toBe(true);
  });
});
