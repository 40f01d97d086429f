import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { WorkloadApiError, X509Source } from '../../../src/client/index.js';
import type { WorkloadIdentity } from '../../../src/identity/index.js';
import { FakeSvidSubscriptions } from '../../fakes/fake-svid-subscriptions.js';
import { eventually, startTestEndpoint } from '../../support/workload-endpoint-fixture.js';
import type { TestEndpoint } from '../../support/workload-endpoint-fixture.js';

const uid = process.getuid!();

describe('X509Source', () => {
  let t: TestEndpoint;
  let me: WorkloadIdentity;

  beforeEach(async () => {
    t = await startTestEndpoint(await FakeSvidSubscriptions.create());
    me = t.identities.resolve({ kind: 'unix', process: { pid: process.pid, uid, gid: 0 } })!;
  });

  afterEach(async () => {
    await t.close();
  });

  it('holds the SVID and bundle once created', async () => {
    const source = await X509Source.create({ socket: t.socketPath });
    try {
      expect(source.getX509Svid().id.toString()).toBe(`spiffe://example.org/uid/${uid}`);
      expect(source.getBundleForTrustDomain('example.org')!.authorities[0]!.equals(t.svids.ca.certDer)).toBe(true);
      expect(source.getBundleForTrustDomain('other.org')).toBeUndefined();
    } finally {
      await source.close();
    }
  });

  it('picks up a rotation on the same stream and gives a new SecureContext', async () => {
    const source = await X509Source.create({ socket: t.socketPath });
    const before = source.secureContext();
    const notified: string[] = [];
    source.on('update', (context) => notified.push(context.svids[0]!.id.toString()));
    const updates = source.updated()[Symbol.asyncIterator]();
    const rotated = await t.svids.rotate(me);
    const next = await updates.next();
    expect(new X509Certificate(source.getX509Svid().certChain[0]!).serialNumber).toBe(new X509Certificate(rotated.certChain[0]!).serialNumber);
    expect(next.value).toBe(source.getX509Context());
    expect(notified).toHaveLength(1);
    expect(source.secureContext()).not.toBe(before);
    expect(t.svids.subscribeCalls).toBe(1);
    await source.close();
    expect(await updates.next()).toEqual({ done: true, value: undefined });
  });

  it('keeps retrying a caller without identity until its signal gives up', async () => {
    t.identities.deny(uid);
    const controller = new AbortController();
    const errors: string[] = [];
    const created = X509Source.create({
      socket: t.socketPath,
      signal: controller.signal,
      backoff: { initialMs: 10, maxMs: 20 },
      onError: (error) => errors.push(error.code),
    });
    await eventually(() => errors.length >= 2);
    controller.abort();
    await expect(created).rejects.toMatchObject({ code: 'closed' });
    expect(new Set(errors)).toEqual(new Set(['permission-denied']));
  });

  it('refuses use after close and leaves no open stream', async () => {
    const source = await X509Source.create({ socket: t.socketPath });
    await source.close();
    expect(() => source.getX509Svid()).toThrow(WorkloadApiError);
    expect(() => source.getX509Svid()).toThrow('the source is closed');
    await eventually(() => t.svids.active === 0);
  });
});
