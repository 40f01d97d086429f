import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { join } from 'node:path';
import { WorkloadApiClient, WorkloadApiError } from '../../../src/client/index.js';
import { FakeSvidSubscriptions } from '../../fakes/fake-svid-subscriptions.js';
import { startTestEndpoint } from '../../support/workload-endpoint-fixture.js';
import type { TestEndpoint } from '../../support/workload-endpoint-fixture.js';

// The low-level client against a real Workload Endpoint on a Unix socket (fakes behind its ports):
// the endpoint refuses calls without the security header, so every success here also shows it is sent.

const uid = process.getuid!();
const myId = `spiffe://example.org/uid/${uid}`;

describe('WorkloadApiClient', () => {
  let t: TestEndpoint;
  let client: WorkloadApiClient;

  beforeEach(async () => {
    t = await startTestEndpoint(await FakeSvidSubscriptions.create());
    client = new WorkloadApiClient({ socket: `unix://${t.socketPath}` });
  });

  afterEach(async () => {
    client.close();
    await t.close();
  });

  it('fetches the caller’s X.509 context as parsed SVIDs and bundles', async () => {
    const context = await client.fetchX509Context();
    const svid = context.svids[0]!;
    expect(svid.id.toString()).toBe(myId);
    expect(svid.hint).toBe(`uid-${uid}`);
    const leaf = new X509Certificate(svid.certChain[0]!);
    expect(leaf.checkPrivateKey(createPrivateKey({ key: svid.privateKey, format: 'der', type: 'pkcs8' }))).toBe(true);
    expect(svid.notAfter.getTime()).toBe(new Date(leaf.validTo).getTime());
    expect([...context.bundles.keys()]).toEqual(['example.org']);
    expect(leaf.verify(new X509Certificate(context.bundles.get('example.org')!.authorities[0]!).publicKey)).toBe(true);
  });

  it('follows one stream through a rotation', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    for await (const context of client.watchX509Contexts(controller.signal)) {
      seen.push(new X509Certificate(context.svids[0]!.certChain[0]!).serialNumber);
      if (seen.length === 1) await t.svids.rotate(t.identities.resolve({ kind: 'unix', process: { pid: 1, uid, gid: 0 } })!);
      else controller.abort();
    }
    expect(new Set(seen).size).toBe(2);
    expect(t.svids.subscribeCalls).toBe(1);
  });

  it('fetches the bundles keyed by trust domain', async () => {
    const bundles = await client.fetchX509Bundles();
    expect(bundles.get('example.org')!.authorities[0]!.equals(t.svids.ca.certDer)).toBe(true);
  });

  it('fetches a Conjur token with its login and expiry', async () => {
    const token = await client.fetchConjurToken();
    expect(token.login).toBe(`host/test/uid-${uid}`);
    expect(token.spiffeId.toString()).toBe(myId);
    expect(JSON.parse(token.raw.toString())).toHaveProperty('payload');
    expect(token.expiresAt.getTime()).toBeGreaterThan(0);
  });

  it('reports the agent as SERVING through grpc.health.v1', async () => {
    await expect(client.checkHealth()).resolves.toBe('SERVING');
    t.api.health.setServing(false);
    await expect(client.checkHealth()).resolves.toBe('NOT_SERVING');
  });

  it('reports PermissionDenied for a caller without an identity', async () => {
    t.identities.deny(uid);
    const error = await client.fetchX509Context().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkloadApiError);
    expect((error as WorkloadApiError).code).toBe('permission-denied');
    expect((error as Error).message).toMatch(new RegExp(`^FetchX509SVID to unix://${t.socketPath} failed: PERMISSION_DENIED: `));
  });

  it('names the socket when nothing listens there', async () => {
    const missing = new WorkloadApiClient({ socket: join(t.dir, 'missing.sock') });
    try {
      const error = (await missing.fetchX509Context().catch((e: unknown) => e)) as WorkloadApiError;
      expect(error.code).toBe('unavailable');
      const path = join(t.dir, 'missing.sock');
      expect(error.message).toBe(`FetchX509SVID to unix://${path} failed: cannot connect: connect ENOENT ${path} (is the agent running?)`);
      expect(error.message).not.toContain('\n');
    } finally {
      missing.close();
    }
  });

  it('stops waiting when the signal aborts, with the signal’s reason', async () => {
    const release = t.attestor.pause();
    const controller = new AbortController();
    const pending = client.fetchX509Context(controller.signal);
    controller.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow('gave up');
    release();
  });
});
